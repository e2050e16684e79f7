#include "kube/leaderelection/leader_elector.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <random>
#include <stdexcept>

#include "kube/core/log.h"

namespace kube {
namespace {

std::uint64_t next_random(std::uint64_t& state) {
  // splitmix64
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Jitter factor of the acquire loop, as client-go uses: waits are spread over
// [retry, 2.2 * retry) so standbys do not hit the apiserver in step.
constexpr double kJitter = 1.2;

}  // namespace

std::string default_identity() {
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  std::random_device rd;
  std::array<unsigned char, 16> b{};
  for (std::size_t i = 0; i < b.size(); i += 4) {
    unsigned v = rd();
    for (std::size_t j = 0; j < 4; ++j)
      b[i + j] = static_cast<unsigned char>(v >> (8 * j));
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // variant 1
  std::array<char, 37> uuid{};
  std::snprintf(uuid.data(), uuid.size(),
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  std::string name = host[0] != '\0' ? std::string(host.data()) : std::string("unknown");
  return name + "_" + uuid.data();
}

LeaderElector::LeaderElector(std::unique_ptr<LeaseLock> lock, LeaderElectionConfig config)
    : lock_(std::move(lock)),
      config_(std::move(config)),
      clock_(config_.clock != nullptr ? *config_.clock : Clock::real()),
      lease_name_(lock_ ? lock_->describe() : std::string()),
      random_state_(std::random_device{}()) {
  if (!lock_) throw std::invalid_argument("kube::LeaderElector: lock is null");
  if (config_.retry_period <= Clock::duration::zero() ||
      config_.renew_deadline <= config_.retry_period ||
      Clock::duration(config_.lease_duration) <= config_.renew_deadline) {
    throw std::invalid_argument(
        "kube::LeaderElector: need lease_duration > renew_deadline > retry_period > 0");
  }
  if (config_.identity.empty()) config_.identity = default_identity();
}

LeaderElector::~LeaderElector() {
  stop();
}

void LeaderElector::start() {
  if (started_.exchange(true)) return;
  log::info("leader election: campaigning",
            {{"lease", lease_name_}, {"identity", config_.identity}});
  thread_ = std::thread([this] { run(); });
}

SystemTime LeaderElector::wall_now() const {
  return config_.wall_clock ? config_.wall_clock() : std::chrono::system_clock::now();
}

Clock::duration LeaderElector::jittered_retry() {
  double f = static_cast<double>(next_random(random_state_) >> 11) * 0x1.0p-53;  // [0, 1)
  auto extra = std::chrono::duration_cast<Clock::duration>(config_.retry_period * (kJitter * f));
  return config_.retry_period + extra;
}

bool LeaderElector::is_leader() const {
  std::lock_guard lock(mu_);
  return leading_ && clock_.now() < renewed_at_ + config_.renew_deadline;
}

bool LeaderElector::done() const {
  std::lock_guard lock(mu_);
  return done_;
}

std::string LeaderElector::leader() const {
  std::lock_guard lock(mu_);
  return observed_.holder_identity;
}

Clock::time_point LeaderElector::last_contact() const {
  std::lock_guard lock(mu_);
  return last_contact_;
}

void LeaderElector::observe(const LeaseRecord& record, const std::string& version) {
  bool new_leader = false;
  {
    std::lock_guard lock(mu_);
    Clock::time_point now = clock_.now();
    last_contact_ = now;
    if (!have_observed_ || record != observed_) {
      new_leader = !have_observed_ || record.holder_identity != observed_.holder_identity;
      observed_ = record;
      observed_at_ = now;
      have_observed_ = true;
    }
    observed_version_ = version;
  }
  if (new_leader) {
    log::info("leader election: new leader observed",
              {{"lease", lease_name_}, {"leader", record.holder_identity}});
    if (config_.callbacks.on_new_leader) config_.callbacks.on_new_leader(record.holder_identity);
  }
}

bool LeaderElector::try_acquire_or_renew(const CancelToken& cancel) {
  const SystemTime wall = wall_now();
  LeaseRecord desired{config_.identity, static_cast<int>(config_.lease_duration.count()), wall,
                      wall, 0};

  // A leader renews with the version of its own last write, skipping the read; anything
  // unexpected falls back to the full path below.
  std::string version;
  bool fast = false;
  {
    std::lock_guard lock(mu_);
    if (leading_ && have_observed_ && observed_.holder_identity == config_.identity) {
      fast = true;
      version = observed_version_;
      desired.acquire_time = observed_.acquire_time;
      desired.lease_transitions = observed_.lease_transitions;
    }
  }
  if (fast) {
    auto updated = lock_->update(desired, version, cancel);
    if (updated.ok()) {
      observe(desired, *updated);
      return true;
    }
    if (cancel.cancelled()) return false;
    log::v(2, "leader election: renewal without a read failed; reading the lease",
           {{"lease", lease_name_}, {"error", updated.error().to_string()}});
    desired.acquire_time = wall;
    desired.lease_transitions = 0;
  }

  auto current = lock_->get(cancel);
  if (!current.ok()) {
    if (!current.error().is_not_found()) {
      log::v(1, "leader election: cannot read the lease",
             {{"lease", lease_name_}, {"error", current.error().to_string()}});
      return false;
    }
    auto created = lock_->create(desired, cancel);
    if (!created.ok()) {
      log::v(1, "leader election: cannot create the lease",
             {{"lease", lease_name_}, {"error", created.error().to_string()}});
      return false;
    }
    observe(desired, *created);
    return true;
  }
  const LeaseRecord& record = current->record;
  observe(record, current->version);
  if (!record.holder_identity.empty() && record.holder_identity != config_.identity) {
    std::lock_guard lock(mu_);
    // Expiry is judged by how long the record has gone unchanged on our own clock.
    if (observed_at_ + std::chrono::seconds(record.lease_duration_seconds) > clock_.now()) {
      return false;
    }
  }
  if (record.holder_identity == config_.identity) {
    desired.acquire_time = record.acquire_time;
    desired.lease_transitions = record.lease_transitions;
  } else {
    desired.lease_transitions = record.lease_transitions + 1;
  }
  auto updated = lock_->update(desired, current->version, cancel);
  if (!updated.ok()) {
    log::v(1, "leader election: cannot update the lease",
           {{"lease", lease_name_}, {"error", updated.error().to_string()}});
    return false;
  }
  observe(desired, *updated);
  return true;
}

void LeaderElector::become_leader(Clock::time_point renewed_at) {
  CancelToken term;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    leading_ = true;
    renewed_at_ = renewed_at;
    term_ = std::make_unique<CancelSource>();
    term = term_->token();
  }
  log::info("leader election: acquired the lease; leading",
            {{"lease", lease_name_}, {"identity", config_.identity}});
  watchdog_ = std::thread([this] { run_watchdog(); });
  if (config_.callbacks.on_started_leading) config_.callbacks.on_started_leading(term);
}

bool LeaderElector::end_term(const char* why, bool lost) {
  std::unique_ptr<CancelSource> term;
  {
    std::lock_guard lock(mu_);
    done_ = true;
    if (!leading_) return false;
    leading_ = false;
    term = std::move(term_);
    if (attempt_) attempt_->cancel();
  }
  cv_.notify_all();
  if (lost) {
    log::warn("leader election: lost the lease; stopping",
              {{"lease", lease_name_}, {"reason", why}});
  } else {
    log::info("leader election: stepping down", {{"lease", lease_name_}, {"reason", why}});
  }
  term->cancel();
  if (config_.callbacks.on_stopped_leading) config_.callbacks.on_stopped_leading();
  return true;
}

void LeaderElector::run_watchdog() {
  std::unique_lock lock(mu_);
  while (leading_) {
    Clock::time_point deadline = renewed_at_ + config_.renew_deadline;
    if (clock_.now() >= deadline) {
      lock.unlock();
      end_term("the lease was not renewed within the renew deadline", true);
      return;
    }
    clock_.wait_until(cv_, lock, deadline);
  }
}

void LeaderElector::run() {
  CancelToken stopped = stop_.token();
  auto attempt = [&]() {
    CancelToken token;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return false;
      attempt_ = std::make_unique<CancelSource>();
      token = attempt_->token();
    }
    bool ok = try_acquire_or_renew(token);
    std::lock_guard lock(mu_);
    attempt_.reset();
    return ok;
  };

  while (true) {
    Clock::time_point started = clock_.now();
    if (attempt()) {
      become_leader(started);
      break;
    }
    if (!stopped.sleep_for(clock_, jittered_retry())) return;
  }
  while (stopped.sleep_for(clock_, config_.retry_period)) {
    {
      std::lock_guard lock(mu_);
      if (!leading_) return;
    }
    Clock::time_point started = clock_.now();
    bool renewed = attempt();
    std::lock_guard lock(mu_);
    if (!leading_) return;
    if (renewed) {
      renewed_at_ = started;
      cv_.notify_all();
    } else {
      log::warn("leader election: renewal failed; retrying until the renew deadline",
                {{"lease", lease_name_}});
    }
  }
}

void LeaderElector::release() {
  LeaseRecord record;
  std::string version;
  {
    std::lock_guard lock(mu_);
    if (!have_observed_ || observed_.holder_identity != config_.identity) return;
    record = observed_;
    version = observed_version_;
  }
  record.holder_identity.clear();
  record.lease_duration_seconds = 1;
  record.renew_time = wall_now();
  // A bounded attempt: shutdown must not hang on an unreachable apiserver, but a slow one
  // (a loaded machine) still gets a couple of seconds even with a short retry period.
  const Clock::duration bound =
      std::max<Clock::duration>(config_.retry_period, std::chrono::seconds(2));
  CancelSource deadline;
  std::thread timer;
  std::mutex m;
  std::condition_variable cv;
  bool finished = false;
  timer = std::thread([&] {
    std::unique_lock lock(m);
    Clock::time_point until = clock_.now() + bound;
    while (!finished && clock_.now() < until)
      clock_.wait_until(cv, lock, until);
    if (!finished) deadline.cancel();
  });
  auto released = lock_->update(record, version, deadline.token());
  {
    std::lock_guard lock(m);
    finished = true;
  }
  cv.notify_all();
  timer.join();
  if (released.ok()) {
    log::info("leader election: released the lease", {{"lease", lease_name_}});
  } else {
    log::warn("leader election: could not release the lease",
              {{"lease", lease_name_}, {"error", released.error().to_string()}});
  }
}

void LeaderElector::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    if (attempt_) attempt_->cancel();
  }
  stop_.cancel();
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  bool was_leading = end_term("stopped", false);
  if (watchdog_.joinable()) watchdog_.join();
  if (was_leading && config_.release_on_stop) release();
}

}  // namespace kube
