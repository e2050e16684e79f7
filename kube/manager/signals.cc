#include "kube/manager/signals.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <system_error>

#include "kube/core/log.h"

namespace kube {
namespace {

sigset_t shutdown_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

std::unique_ptr<ShutdownSignals> ShutdownSignals::install() {
  sigset_t set = shutdown_set();
  if (int err = pthread_sigmask(SIG_BLOCK, &set, nullptr); err != 0) {
    throw std::system_error(err, std::generic_category(), "pthread_sigmask");
  }
  int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  if (sfd < 0) throw std::system_error(errno, std::generic_category(), "signalfd");
  int efd = eventfd(0, EFD_CLOEXEC);
  if (efd < 0) {
    int err = errno;
    close(sfd);
    throw std::system_error(err, std::generic_category(), "eventfd");
  }
  std::unique_ptr<ShutdownSignals> s(new ShutdownSignals(sfd, efd));
  s->thread_ = std::thread([p = s.get()] { p->run(); });
  return s;
}

ShutdownSignals::ShutdownSignals(int signal_fd, int wake_fd)
    : signal_fd_(signal_fd), wake_fd_(wake_fd) {}

ShutdownSignals::~ShutdownSignals() {
  std::uint64_t one = 1;
  ssize_t n = write(wake_fd_, &one, sizeof one);
  (void)n;
  if (thread_.joinable()) thread_.join();
  close(signal_fd_);
  close(wake_fd_);
  sigset_t set = shutdown_set();
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

void ShutdownSignals::run() {
  pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  while (true) {
    int n = poll(fds, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      log::error("signal wait failed; signals are no longer handled");
      return;
    }
    if ((fds[1].revents & POLLIN) != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    signalfd_siginfo info{};
    if (read(signal_fd_, &info, sizeof info) != static_cast<ssize_t>(sizeof info)) continue;
    int sig = static_cast<int>(info.ssi_signo);
    int expected = 0;
    if (received_.compare_exchange_strong(expected, sig)) {
      log::info("shutdown signal received; draining",
                {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
      cancel_.cancel();
    } else {
      log::warn("second shutdown signal; exiting at once");
      std::_Exit(1);
    }
  }
}

}  // namespace kube
