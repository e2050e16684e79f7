#include "tests/support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "kube/core/strings.h"

extern char** environ;

namespace berth::testing {

namespace {

kube::Error errno_error(std::string_view what) {
  return kube::Error::make(kube::Reason::kInternalError,
                           std::string(what) + ": " + std::strerror(errno));
}

// The current environment plus `extra` ("NAME=value", replacing a variable of that name).
std::vector<std::string> with_env(const std::vector<std::string>& extra) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    std::string_view name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const std::string& x : extra) {
      if (std::string_view(x).substr(0, x.find('=')) == name) replaced = true;
    }
    if (!replaced) out.emplace_back(entry);
  }
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

// argv/envp form; the strings must outlive the result.
std::vector<char*> pointers(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings)
    out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// Closes a descriptor on every path out of run_command.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

bool read_all(int fd, std::string& out) {
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) return true;
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

bool executable(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

kube::Result<CommandResult> run_command(const std::vector<std::string>& argv,
                                        const std::vector<std::string>& env) {
  if (argv.empty()) return kube::Error::make(kube::Reason::kInvalid, "run_command: no program");
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return errno_error("pipe2");
  Fd out_read(pipe_fds[0]);
  Fd out_write(pipe_fds[1]);
  // stderr goes to an unlinked temporary file: reading two pipes would need poll(), and
  // kubectl's stderr is small.
  char err_path[] = "/tmp/berth-deploy-test-XXXXXX";
  Fd err_file(::mkostemp(err_path, O_CLOEXEC));
  if (err_file.get() < 0) return errno_error("mkostemp");
  ::unlink(err_path);

  posix_spawn_file_actions_t actions;
  if (posix_spawn_file_actions_init(&actions) != 0) return errno_error("posix_spawn");
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_file.get(), 2);
  std::vector<char*> args = pointers(argv);
  pid_t pid = 0;
  std::vector<std::string> environment = with_env(env);
  std::vector<char*> envp = pointers(environment);
  int rc = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  out_write.reset();
  if (rc != 0) {
    errno = rc;
    return errno_error("cannot run " + argv[0]);
  }

  CommandResult result;
  bool read_ok = read_all(out_read.get(), result.out);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return errno_error("waitpid");
  }
  if (!read_ok) return errno_error("reading the output of " + argv[0]);
  if (::lseek(err_file.get(), 0, SEEK_SET) < 0 || !read_all(err_file.get(), result.err)) {
    return errno_error("reading the errors of " + argv[0]);
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::optional<std::string> find_kubectl() {
  if (const char* configured = std::getenv("BERTH_KUBECTL"); configured && *configured) {
    return executable(configured) ? std::optional<std::string>(configured) : std::nullopt;
  }
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  for (std::string_view dir : kube::split(path, ':')) {
    std::string candidate = (dir.empty() ? std::string(".") : std::string(dir)) + "/kubectl";
    if (executable(candidate)) return candidate;
  }
  return std::nullopt;
}

kube::Result<Child> Child::start(const std::vector<std::string>& argv,
                                 const std::vector<std::string>& env) {
  if (argv.empty()) return kube::Error::make(kube::Reason::kInvalid, "Child: no program");
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return errno_error("pipe2");
  Fd out_read(pipe_fds[0]);
  Fd out_write(pipe_fds[1]);
  posix_spawn_file_actions_t actions;
  if (posix_spawn_file_actions_init(&actions) != 0) return errno_error("posix_spawn");
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), 2);
  std::vector<char*> args = pointers(argv);
  std::vector<std::string> environment = with_env(env);
  std::vector<char*> envp = pointers(environment);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    errno = rc;
    return errno_error("cannot run " + argv[0]);
  }
  return Child(pid, out_read.release());
}

Child::Child(Child&& other) noexcept
    : pid_(other.pid_), fd_(other.fd_), output_(std::move(other.output_)) {
  other.pid_ = -1;
  other.fd_ = -1;
}

Child::~Child() {
  if (pid_ > 0) stop(SIGKILL);
  if (fd_ >= 0) ::close(fd_);
}

bool Child::wait_output(const std::function<bool(const std::string&)>& condition,
                        std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition(output_)) return true;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || fd_ < 0) return condition(output_);
    pollfd p{fd_, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR) return condition(output_);
    if (n <= 0) continue;
    char buffer[8192];
    ssize_t got = ::read(fd_, buffer, sizeof buffer);
    if (got > 0) {
      output_.append(buffer, static_cast<std::size_t>(got));
    } else if (got == 0 || errno != EINTR) {
      ::close(fd_);  // the program closed its output (it exited)
      fd_ = -1;
    }
  }
}

int Child::stop(int signal) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, signal);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) break;
  }
  pid_ = -1;
  // Whatever it printed last.
  if (fd_ >= 0) {
    char buffer[8192];
    ssize_t got = 0;
    int flags = ::fcntl(fd_, F_GETFL);
    ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
    while ((got = ::read(fd_, buffer, sizeof buffer)) > 0)
      output_.append(buffer, static_cast<std::size_t>(got));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace berth::testing
