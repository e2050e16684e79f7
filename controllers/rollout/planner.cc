#include "controllers/rollout/planner.h"

#include <algorithm>
#include <climits>
#include <cmath>

#include "controllers/rollout/action.h"
#include "controllers/rollout/duration.h"
#include "controllers/rollout/names.h"
#include "controllers/rollout/template_hash.h"

namespace berth::rollout {
namespace json = kube::json;
using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

constexpr std::size_t kMaxHistory = 50;
constexpr std::string_view kController = "controller";

// A workload as the planner moves it: observed counts, the target the current state asks
// for, and the replicas this plan sets.
struct Slot {
  const Workload* workload = nullptr;  // null for a ReplicaSet still to be created
  Workload::Kind kind = Workload::Kind::kReplicaSet;
  std::string name;
  std::string hash;
  std::string id;
  int revision = 0;
  int current = 0;  // spec.replicas
  // Available pods the planner can count on, and the most there might be (they differ while
  // the workload's status lags its spec).
  int available = 0;
  int available_high = 0;
  int reported_available = 0;  // what the status says, for the Rollout's own status
  int ready = 0;
  int pods = 0;
  bool exists = true;
  bool serving = false;
  bool held = false;  // a replaced blue-green revision inside its scale-down delay
  int target = 0;
  int next = 0;
};

enum class Mode { kSteady, kAborted, kCanary, kBlueGreen };

// What the current state waits for, for the phase, the message and the progress deadline.
enum class Wait { kNone, kPods, kPauseStep, kAnalysis, kPromotion, kSpecPaused, kService };

class Planner {
 public:
  explicit Planner(const PlanInput& in)
      : in_(in), spec_(*in.spec), now_(in.now), replicas_(std::max(0, in.replicas)) {}

  Plan run() {
    plan_.status = in_.status;
    st().observed_generation = in_.generation;
    surge_ = spec_.max_surge(replicas_);
    floor_ = replicas_ - spec_.max_unavailable(replicas_);
    build_slots();
    if (in_.deletion) {
      plan_deletion();
      summarize();
      return finish();
    }
    identify_desired();
    if (st().canary_hash != desired_hash_) new_revision();
    follow_pending_rollback();
    handle_action();
    apply_measurements();
    identify_stable();

    // Deciding targets may abort or promote, which changes the mode: decide again then. Each
    // pass can only move forward (progressing -> promoted or aborted), so three suffice.
    bool settled = false;
    for (int pass = 0; pass < 3 && !settled; ++pass) {
      Mode before = mode();
      bool promoted_before = promoted_;
      decide_targets(before);
      if (mode() != before || promoted_ != promoted_before) continue;
      compute_scaling();
      settled = !check_progress_deadline();
    }
    if (!settled) {
      decide_targets(mode());
      compute_scaling();
    }
    emit_scaling();
    pin_services();
    clean_history();
    summarize();
    return finish();
  }

 private:
  RolloutStatus& st() { return plan_.status; }

  // ---- observation ----

  void build_slots() {
    slots_.reserve(in_.observed.replica_sets.size() + 2);
    for (const Workload& w : in_.observed.replica_sets) {
      Slot* s = add_slot(w);
      // Status lags pod readiness: pods the status does not count yet may already serve, and
      // the pod cache says so sooner.
      auto pods = in_.observed.pods.find(w.hash);
      if (pods != in_.observed.pods.end()) {
        s->available_high = std::max(s->available_high, std::min(s->current, pods->second.ready));
      }
    }
    if (in_.observed.deployment) {
      deployment_ = add_slot(*in_.observed.deployment);
    }
  }

  Slot* add_slot(const Workload& w) {
    Slot s;
    s.workload = &w;
    s.kind = w.kind;
    s.name = w.name;
    s.hash = w.kind == Workload::Kind::kReplicaSet ? w.hash : std::string();
    s.id = w.id();
    s.revision = w.revision;
    s.current = std::max(0, w.replicas);
    s.reported_available = std::clamp(w.available, 0, s.current);
    s.available = w.status_current ? s.reported_available : 0;
    s.available_high = w.status_current ? s.reported_available : s.current;
    s.ready = std::clamp(w.ready, 0, s.current);
    s.pods = std::max(0, w.pods);
    slots_.push_back(std::move(s));
    return &slots_.back();
  }

  Slot* slot_by_hash(std::string_view hash) {
    if (hash.empty()) return nullptr;
    for (Slot& s : slots_) {
      if (s.kind == Workload::Kind::kReplicaSet && s.hash == hash) return &s;
    }
    return nullptr;
  }

  Slot* slot_by_revision(int revision) {
    for (Slot& s : slots_) {
      if (s.kind == Workload::Kind::kReplicaSet && s.exists && s.revision == revision) return &s;
    }
    return nullptr;
  }

  int max_revision() const {
    int max = 0;
    for (const Slot& s : slots_) {
      if (s.kind == Workload::Kind::kReplicaSet) max = std::max(max, s.revision);
    }
    return max;
  }

  // The desired revision: the ReplicaSet labelled with the template's hash, else one whose
  // template is the same (a rolled-back template read from a ReplicaSet carries the
  // apiserver's defaults and hashes differently), else a ReplicaSet still to create.
  void identify_desired() {
    std::string computed = template_hash(*in_.pod_template);
    desired_ = slot_by_hash(computed);
    if (desired_ == nullptr) {
      json::Document wanted = strip_controller_fields(*in_.pod_template);
      for (Slot& s : slots_) {
        if (s.kind != Workload::Kind::kReplicaSet || s.workload->pod_template == nullptr) {
          continue;
        }
        if ((desired_ == nullptr || s.revision > desired_->revision) &&
            json::equal(strip_controller_fields(*s.workload->pod_template), wanted)) {
          desired_ = &s;
        }
      }
    }
    if (desired_ == nullptr) {
      Slot s;
      s.exists = false;
      s.name = in_.name + "-" + computed;
      s.hash = computed;
      s.id = "ReplicaSet/" + s.name;
      s.revision = max_revision() + 1;
      slots_.push_back(std::move(s));
      desired_ = &slots_.back();
    }
    desired_hash_ = desired_->hash;
  }

  void new_revision() {
    RolloutStatus& s = st();
    s.canary_hash = desired_hash_;
    s.current_step_index = 0;
    s.step_started = now_;
    s.last_progress.reset();
    s.abort.reset();
    s.analysis_runs.clear();
    s.degraded_since.reset();
    if (s.promoted_hash != desired_hash_) s.promoted_hash.clear();
    if (s.promote_full_hash != desired_hash_) s.promote_full_hash.clear();
    int top = max_revision();
    if (desired_->exists && desired_->revision != top) {
      desired_->revision = top + 1;
      plan_.revisions.push_back({desired_->name, desired_->revision});
    }
    std::string reason;
    std::string by;
    if (s.pending_rollback && s.pending_rollback->hash == desired_hash_) {
      reason = "rollback to revision " + std::to_string(s.pending_rollback->revision);
      by = last_requester("RollbackRequested");
    } else if (!in_.change_cause.empty()) {
      reason = in_.change_cause;
      by = "change-cause";
    } else {
      reason = s.stable_hash.empty() ? "first revision" : "pod template changed";
    }
    add_history(desired_->revision, desired_hash_, "NewRevision", reason, by);
    event(false, "NewRevision",
          "revision " + std::to_string(desired_->revision) + " (" + desired_hash_ + "): " + reason);
  }

  std::string last_requester(std::string_view event_name) const {
    for (auto it = plan_.status.history.rbegin(); it != plan_.status.history.rend(); ++it) {
      if (it->event == event_name) return it->by;
    }
    return {};
  }

  void follow_pending_rollback() {
    RolloutStatus& s = st();
    if (!s.pending_rollback) return;
    if (s.pending_rollback->hash == desired_hash_) {
      s.pending_rollback.reset();
      return;
    }
    Slot* target = slot_by_hash(s.pending_rollback->hash);
    if (target == nullptr || target->workload == nullptr ||
        target->workload->pod_template == nullptr) {
      event(true, "RollbackFailed",
            "revision " + std::to_string(s.pending_rollback->revision) +
                " no longer exists; rollback dropped");
      s.pending_rollback.reset();
      return;
    }
    plan_.rollback_template = strip_controller_fields(*target->workload->pod_template);
  }

  void identify_stable() {
    RolloutStatus& s = st();
    if (!s.stable_hash.empty()) {
      stable_ = slot_by_hash(s.stable_hash);
      if (stable_ == nullptr) {
        if (s.stable_hash != desired_hash_) {
          event(true, "StableRevisionMissing",
                "the ReplicaSet of stable revision " + s.stable_hash +
                    " is gone; rolling out the desired revision in full");
        }
        s.stable_hash.clear();
      }
    }
    if (s.stable_hash.empty()) {
      if (deployment_ != nullptr && deployment_->current + deployment_->pods > 0) {
        stable_ = deployment_;
        takeover_ = true;
      } else {
        // Nothing runs yet (a new Rollout, or its stable ReplicaSet was deleted): the desired
        // revision is stable from the start, with no steps to go through.
        s.stable_hash = desired_hash_;
        stable_ = desired_;
        add_history(desired_->revision, desired_hash_, "Promoted", "first revision",
                    std::string(kController));
      }
    }
  }

  bool aborted() const {
    return plan_.status.abort && plan_.status.abort->revision == desired_hash_ &&
           stable_ != desired_;
  }

  Mode mode() const {
    if (stable_ == desired_) return Mode::kSteady;
    if (aborted()) return Mode::kAborted;
    return spec_.is_canary() ? Mode::kCanary : Mode::kBlueGreen;
  }

  // ---- operations ----

  void handle_action() {
    RolloutStatus& s = st();
    if (!in_.action) {
      s.action_ack.clear();
      return;
    }
    if (*in_.action == s.action_ack) return;  // applied; the reconciler removes the annotation
    s.action_ack = *in_.action;
    ParsedAction parsed = parse_action(*in_.action);
    if (!parsed.action) {
      event(true, "InvalidAction", "berth.dev/rollout-action: " + parsed.error);
      return;
    }
    const Action& a = *parsed.action;
    std::string by = a.requester.empty() ? "unknown" : a.requester;
    bool in_progress = !s.stable_hash.empty() ? s.stable_hash != desired_hash_ : false;
    bool is_aborted = s.abort && s.abort->revision == desired_hash_;
    auto ignore = [&](const std::string& why) {
      event(true, "ActionIgnored", std::string(action_name(a.kind)) + " ignored: " + why);
    };
    switch (a.kind) {
      case Action::Kind::kPromote: {
        if (!in_progress || is_aborted) {
          ignore(is_aborted ? "the revision was aborted (use retry)" : "nothing to promote");
          return;
        }
        if (spec_.is_canary()) {
          int n = static_cast<int>(spec_.canary.steps.size());
          if (s.current_step_index < n) {
            const CanaryStep& step = spec_.canary.steps[s.current_step_index];
            advance_step("promoted by " + by + " (" + step.describe() + " skipped)");
          }
        } else {
          s.promoted_hash = desired_hash_;
        }
        add_history(desired_->revision, desired_hash_, "PromoteRequested", "promote", by);
        event(false, "PromoteRequested", "promote requested by " + by);
        return;
      }
      case Action::Kind::kPromoteFull:
        if (!in_progress || is_aborted) {
          ignore(is_aborted ? "the revision was aborted (use retry)" : "nothing to promote");
          return;
        }
        s.promote_full_hash = desired_hash_;
        add_history(desired_->revision, desired_hash_, "PromoteFullRequested",
                    "skip the remaining steps and analysis", by);
        event(false, "PromoteFullRequested", "full promotion requested by " + by);
        return;
      case Action::Kind::kAbort:
        if (!in_progress || is_aborted) {
          ignore(is_aborted ? "already aborted" : "no new revision is rolling out");
          return;
        }
        abort("AbortRequested", "aborted by " + by, by);
        return;
      case Action::Kind::kRetry:
        if (!is_aborted) {
          ignore("the rollout is not aborted");
          return;
        }
        s.abort.reset();
        s.current_step_index = 0;
        s.step_started = now_;
        s.last_progress.reset();
        s.analysis_runs.clear();
        add_history(desired_->revision, desired_hash_, "Retried", "retry from the first step", by);
        event(false, "Retried", "retry requested by " + by);
        return;
      case Action::Kind::kRollback:
        rollback(a, by);
        return;
    }
  }

  void rollback(const Action& a, const std::string& by) {
    RolloutStatus& s = st();
    Slot* target = nullptr;
    if (a.revision) {
      target = slot_by_revision(*a.revision);
      if (target == nullptr) {
        event(true, "ActionIgnored",
              "rollback ignored: revision " + std::to_string(*a.revision) +
                  " is not in the kept history");
        return;
      }
    } else if (!s.stable_hash.empty() && s.stable_hash != desired_hash_) {
      target = slot_by_hash(s.stable_hash);
    } else {
      int below = desired_->revision;
      for (Slot& slot : slots_) {
        if (slot.kind == Workload::Kind::kReplicaSet && slot.exists && slot.revision < below &&
            (target == nullptr || slot.revision > target->revision)) {
          target = &slot;
        }
      }
    }
    if (target == nullptr || target->workload == nullptr ||
        target->workload->pod_template == nullptr) {
      event(true, "ActionIgnored", "rollback ignored: no earlier revision is kept");
      return;
    }
    if (target->hash == desired_hash_) {
      event(true, "ActionIgnored",
            "rollback ignored: revision " + std::to_string(target->revision) +
                " is already the desired revision");
      return;
    }
    s.pending_rollback = PendingRollback{target->revision, target->hash};
    plan_.rollback_template = strip_controller_fields(*target->workload->pod_template);
    // A revision that has served as stable before is not put through the steps again.
    bool proven = target->hash == s.stable_hash;
    for (const HistoryEntry& e : s.history) {
      proven = proven || (e.event == "Promoted" && e.hash == target->hash);
    }
    if (proven) s.promote_full_hash = target->hash;
    add_history(target->revision, target->hash, "RollbackRequested",
                "rollback to revision " + std::to_string(target->revision), by);
    event(false, "RollbackRequested",
          "rollback to revision " + std::to_string(target->revision) + " requested by " + by);
  }

  void abort(const std::string& reason, const std::string& message, std::string by = {}) {
    RolloutStatus& s = st();
    s.abort = AbortInfo{desired_hash_, reason, message, now_};
    s.last_progress.reset();
    add_history(desired_->revision, desired_hash_, "Aborted", reason + ": " + message,
                by.empty() ? std::string(kController) : by);
    event(true, reason,
          "revision " + std::to_string(desired_->revision) + " (" + desired_hash_ +
              ") aborted, traffic stays on the stable revision: " + message);
  }

  // ---- analysis ----

  void apply_measurements() {
    for (const Measurement& m : in_.measurements) {
      AnalysisRun* run = st().find_run(m.run);
      if (run == nullptr || run->revision != desired_hash_) continue;
      if (const AnalysisSpec* analysis = analysis_for_run(spec_, run->name)) {
        record_measurement(*run, *analysis, m, now_);
      }
    }
  }

  AnalysisRun& ensure_run(std::string_view name, const AnalysisSpec& analysis) {
    RolloutStatus& s = st();
    AnalysisRun* run = s.find_run(name);
    if (run != nullptr && run->revision == desired_hash_) return *run;
    std::erase_if(s.analysis_runs, [&](const AnalysisRun& r) { return r.name == name; });
    s.analysis_runs.push_back(start_run(std::string(name), desired_hash_, analysis, now_));
    return s.analysis_runs.back();
  }

  void wake_for(const AnalysisRun& run, const AnalysisSpec& analysis) {
    if (auto t = next_measurement(run, analysis)) wake(*t);
  }

  // ---- targets ----

  void reset_targets() {
    for (Slot& s : slots_)
      s.target = 0;
    wait_ = Wait::kNone;
    wait_detail_.clear();
    degraded_ = false;
  }

  void decide_targets(Mode m) {
    reset_targets();
    switch (m) {
      case Mode::kSteady:
        stable_->target = replicas_;
        if (stable_->available < replicas_) wait_ = Wait::kPods;
        break;
      case Mode::kAborted:
        stable_->target = replicas_;
        desired_->target = 0;
        break;
      case Mode::kCanary:
        canary_targets();
        break;
      case Mode::kBlueGreen:
        blue_green_targets();
        break;
    }
  }

  std::pair<int, int> canary_split(int step_index) const {
    int n = static_cast<int>(spec_.canary.steps.size());
    if (step_index >= n) return {replicas_, 0};
    int weight = 0;
    for (int i = 0; i <= step_index; ++i) {
      const CanaryStep& step = spec_.canary.steps[i];
      if (step.kind == CanaryStep::Kind::kSetWeight) weight = step.weight;
    }
    int canary = static_cast<int>(std::ceil(static_cast<double>(replicas_) * weight / 100.0));
    canary = std::clamp(canary, 0, replicas_);
    return {canary, replicas_ - canary};
  }

  bool others_empty() const {
    for (const Slot& s : slots_) {
      if (&s != stable_ && &s != desired_ && s.exists && s.current > 0) return false;
    }
    return true;
  }

  bool split_reached(int canary, int stable) const {
    return desired_->current == canary && desired_->available >= canary &&
           stable_->current == stable && others_empty();
  }

  void advance_step(const std::string& why) {
    RolloutStatus& s = st();
    int n = static_cast<int>(spec_.canary.steps.size());
    if (s.current_step_index >= n) return;
    const CanaryStep& step = spec_.canary.steps[s.current_step_index];
    event(false, "StepCompleted",
          "step " + std::to_string(s.current_step_index + 1) + "/" + std::to_string(n) + " (" +
              step.describe() + ") " + why);
    s.current_step_index++;
    s.step_started = now_;
    s.last_progress.reset();
  }

  void canary_targets() {
    RolloutStatus& s = st();
    int n = static_cast<int>(spec_.canary.steps.size());
    bool skip = takeover_ || s.promote_full_hash == desired_hash_;
    s.current_step_index = std::clamp(s.current_step_index, 0, n);
    if (skip && s.current_step_index < n) {
      s.current_step_index = n;
      s.step_started = now_;
    }
    if (!skip && spec_.canary.analysis) {
      AnalysisRun& run = ensure_run(kBackgroundRun, *spec_.canary.analysis);
      if (run.phase == RunPhase::kFailed) {
        abort("AnalysisFailed", "background analysis: " + run.message);
        return;
      }
      wake_for(run, *spec_.canary.analysis);
    }
    for (int guard = 0; guard <= n; ++guard) {
      int i = s.current_step_index;
      auto [canary, stable] = canary_split(i);
      desired_->target = canary;
      stable_->target = stable;
      if (i >= n) {
        // Promote as soon as the new revision can carry everything alone: the stable Service
        // then switches to a full revision and the old one drains as an ordinary old revision.
        if (desired_->available >= replicas_ && desired_->current == replicas_ && !spec_.paused) {
          promote();
        } else {
          wait_ = spec_.paused ? Wait::kSpecPaused : Wait::kPods;
        }
        return;
      }
      const CanaryStep& step = spec_.canary.steps[i];
      bool reached = split_reached(canary, stable);
      if (spec_.paused) {
        wait_ = reached ? Wait::kSpecPaused : Wait::kPods;
        return;
      }
      switch (step.kind) {
        case CanaryStep::Kind::kSetWeight:
          if (!reached) {
            wait_ = Wait::kPods;
            return;
          }
          advance_step("reached: " + std::to_string(canary) + " canary and " +
                       std::to_string(stable) + " stable pods");
          continue;
        case CanaryStep::Kind::kPause: {
          if (!reached) {
            wait_ = Wait::kPods;
            return;
          }
          kube::SystemTime started = s.step_started.value_or(now_);
          if (!s.step_started) s.step_started = now_;
          if (step.pause && now_ >= started + *step.pause) {
            advance_step("finished");
            continue;
          }
          if (step.pause) wake(started + *step.pause);
          wait_ = Wait::kPauseStep;
          return;
        }
        case CanaryStep::Kind::kAnalysis: {
          if (!reached) {
            wait_ = Wait::kPods;
            return;
          }
          AnalysisRun& run = ensure_run(step_run_name(i), step.analysis);
          if (run.phase == RunPhase::kSuccessful) {
            advance_step("passed");
            continue;
          }
          if (run.phase == RunPhase::kFailed) {
            abort("AnalysisFailed", "step " + std::to_string(i + 1) + " analysis: " + run.message);
            return;
          }
          wake_for(run, step.analysis);
          wait_ = Wait::kAnalysis;
          return;
        }
      }
    }
  }

  void blue_green_targets() {
    RolloutStatus& s = st();
    desired_->target = replicas_;
    stable_->target = replicas_;
    if (desired_->available < replicas_) {
      wait_ = Wait::kPods;
      return;
    }
    bool skip = takeover_ || s.promote_full_hash == desired_hash_;
    const auto& analysis = spec_.blue_green.pre_promotion_analysis;
    if (!skip && analysis) {
      AnalysisRun& run = ensure_run(kPrePromotionRun, *analysis);
      if (run.phase == RunPhase::kFailed) {
        abort("AnalysisFailed", "pre-promotion analysis: " + run.message);
        return;
      }
      if (run.phase == RunPhase::kRunning) {
        wake_for(run, *analysis);
        wait_ = Wait::kAnalysis;
        return;
      }
    }
    if (spec_.paused) {
      wait_ = Wait::kSpecPaused;
      return;
    }
    if (!skip && !spec_.blue_green.auto_promotion && s.promoted_hash != desired_hash_) {
      wait_ = Wait::kPromotion;
      return;
    }
    const ServiceState* active = service(spec_.blue_green.active_service);
    if (active == nullptr) {
      wait_ = Wait::kService;
      wait_detail_ = "activeService " + spec_.blue_green.active_service + " not found";
      degraded_ = true;
      return;
    }
    // Replaced revisions keep serving capacity until their scale-down delay has passed.
    auto delay = seconds(spec_.blue_green.scale_down_delay_seconds);
    for (Slot& slot : slots_) {
      if (&slot != desired_ && slot.exists && slot.current > 0) {
        set_deadline(slot.id, now_ + delay);
      }
    }
    promote();
  }

  void promote() {
    RolloutStatus& s = st();
    s.stable_hash = desired_hash_;
    s.analysis_runs.clear();
    s.promote_full_hash.clear();
    s.promoted_hash.clear();
    s.last_progress.reset();
    s.degraded_since.reset();
    add_history(desired_->revision, desired_hash_, "Promoted",
                takeover_ ? "took over Deployment " + deployment_->name : "promoted to stable",
                std::string(kController));
    event(false, "Promoted",
          "revision " + std::to_string(desired_->revision) + " (" + desired_hash_ +
              ") is now stable");
    stable_ = desired_;
    takeover_ = false;
    promoted_ = true;
  }

  // ---- scaling ----

  std::optional<kube::SystemTime> deadline(const std::string& id) const {
    for (const ScaleDownDeadline& d : plan_.status.scale_down_deadlines) {
      if (d.workload == id) return d.at;
    }
    return std::nullopt;
  }

  void set_deadline(const std::string& id, kube::SystemTime at) {
    for (ScaleDownDeadline& d : st().scale_down_deadlines) {
      if (d.workload == id) return;
    }
    st().scale_down_deadlines.push_back({id, at});
  }

  void mark_serving() {
    const ServiceState* active =
        spec_.is_canary() ? nullptr : service(spec_.blue_green.active_service);
    bool pinned = active != nullptr && active->pinned_hash.has_value();
    for (Slot& s : slots_) {
      s.serving =
          !pinned || (s.kind == Workload::Kind::kReplicaSet && s.hash == *active->pinned_hash);
    }
  }

  void compute_scaling() {
    mark_serving();
    int serving_low = 0;
    int serving_high = 0;
    for (Slot& s : slots_) {
      s.next = s.current;
      s.held = false;
      if (s.serving) {
        serving_low += s.available;
        serving_high += s.available_high;
      }
      if (&s != stable_ && &s != desired_ && s.current > 0) {
        if (auto at = deadline(s.id); at && *at > now_) {
          s.held = true;
          wake(*at);
        }
      }
    }
    // What must stay: min(floor, what may be serving now). What surely stays after shrinking
    // a workload to n: min(its countable available pods, n), as the ReplicaSet controller
    // removes not-ready pods first. A negative budget (lagging status) shrinks nothing that
    // serves.
    int budget = serving_low - std::min(floor_, serving_high);

    // Scale down first: old revisions, then the desired one (abort, smaller weight), then the
    // stable one. A serving workload loses at most `budget` available pods in total.
    auto shrink = [&](Slot& s) {
      if (s.target >= s.current || s.held) return;
      if (!s.serving) {
        s.next = s.target;
        return;
      }
      if (budget < 0) return;
      s.next = std::min(s.current, std::max(s.target, s.available - budget));
      budget -= std::max(0, s.available - s.next);
    };
    for (Slot& s : slots_) {
      if (&s != stable_ && &s != desired_) shrink(s);
    }
    if (desired_ != stable_) shrink(*desired_);
    shrink(*stable_);

    // Then scale up within the surge: the stable revision first, so an abort or a scale-up
    // restores capacity before the canary grows.
    int total = 0;
    for (const Slot& s : slots_)
      total += s.next;
    long room = spec_.is_canary() ? static_cast<long>(replicas_) + surge_ - total : LONG_MAX;
    auto grow = [&](Slot& s) {
      if (s.target <= s.next || room <= 0) return;
      int add = static_cast<int>(std::min<long>(s.target - s.next, room));
      s.next += add;
      room -= add;
    };
    grow(*stable_);
    if (desired_ != stable_) grow(*desired_);
  }

  // Returns true when it aborted (targets must be decided again).
  bool check_progress_deadline() {
    RolloutStatus& s = st();
    Slot* watched = mode() == Mode::kSteady ? stable_ : desired_;
    bool waiting = wait_ == Wait::kPods && mode() != Mode::kAborted;
    if (!waiting) {
      s.last_progress.reset();
      if (mode() == Mode::kSteady && stable_->available >= replicas_) s.degraded_since.reset();
      return false;
    }
    bool moving = watched->available > progress_mark(watched);
    for (const Slot& slot : slots_)
      moving = moving || slot.next != slot.current;
    if (!s.last_progress || moving) {
      s.last_progress = now_;
    }
    auto limit = seconds(spec_.progress_deadline_seconds);
    if (now_ < *s.last_progress + limit) {
      wake(*s.last_progress + limit);
      return false;
    }
    std::string what = std::to_string(watched->available) + "/" +
                       std::to_string(std::max(watched->target, 1)) + " pods of revision " +
                       watched->hash + " available after " +
                       format_duration(duration_cast<milliseconds>(limit)) + " without progress";
    if (mode() == Mode::kSteady) {
      degraded_ = true;
      wait_detail_ = what;
      if (!s.degraded_since) {
        s.degraded_since = now_;
        event(true, "ProgressDeadlineExceeded", what);
      }
      return false;
    }
    abort("ProgressDeadlineExceeded", what);
    return true;
  }

  // The available count of `slot` the last status recorded, to tell progress from standing
  // still.
  int progress_mark(const Slot* slot) const {
    if (slot == desired_) return in_.status.updated_available_replicas;
    return in_.status.stable_available_replicas;
  }

  void emit_scaling() {
    for (Slot& s : slots_) {
      if (s.next == s.current) continue;
      if (!s.exists) {
        if (s.next > 0) {
          plan_.creates.push_back({s.name, s.hash, s.next, s.revision, in_.change_cause});
          event(false, "ScalingReplicaSet",
                "Created ReplicaSet " + s.name + " (revision " + std::to_string(s.revision) +
                    ") with " + std::to_string(s.next) + " replicas");
        }
        continue;
      }
      plan_.scales.push_back({s.kind, s.name, s.current, s.next});
      event(false, "ScalingReplicaSet",
            std::string(s.next > s.current ? "Scaled up " : "Scaled down ") +
                (s.kind == Workload::Kind::kReplicaSet ? "ReplicaSet " : "Deployment ") + s.name +
                " from " + std::to_string(s.current) + " to " + std::to_string(s.next));
    }
    // Forget deadlines of workloads that are gone or down to zero.
    std::erase_if(st().scale_down_deadlines, [&](const ScaleDownDeadline& d) {
      for (const Slot& s : slots_) {
        if (s.id == d.workload) return s.exists && s.next == 0 && s.current == 0;
      }
      return true;
    });
  }

  // ---- services ----

  const ServiceState* service(const std::string& name) const {
    if (name.empty()) return nullptr;
    auto it = in_.observed.services.find(name);
    return it != in_.observed.services.end() && it->second.exists ? &it->second : nullptr;
  }

  int available_of(std::string_view hash, bool high = false) {
    Slot* s = slot_by_hash(hash);
    if (s == nullptr) return 0;
    return high ? s->available_high : s->available;
  }

  // Points `name` at revision `hash` once that revision has `need` pods available, or at least
  // as many as the revision the Service selects now.
  void pin(const std::string& name, const std::string& hash, int need) {
    if (name.empty() || hash.empty()) return;
    const ServiceState* svc = service(name);
    if (svc == nullptr) {
      missing_services_.push_back(name);
      return;
    }
    if (svc->pinned_hash == hash) return;
    int have = available_of(hash);
    bool allowed =
        have >= need || (svc->pinned_hash && have >= available_of(*svc->pinned_hash, true));
    if (!allowed) {
      unpinned_services_.push_back(name);
      return;
    }
    plan_.services.push_back({name, hash});
    event(false, "ServiceSwitched",
          "Service " + name + " now selects revision " + hash + " (" + std::to_string(have) +
              " pods available)");
  }

  void pin_services() {
    if (takeover_) return;  // the Deployment's pods serve through the unpinned selectors
    const std::string& stable_hash = st().stable_hash;
    bool canary_running = mode() == Mode::kCanary || mode() == Mode::kBlueGreen;
    const std::string& second = canary_running ? desired_hash_ : stable_hash;
    Slot* second_slot = canary_running ? desired_ : stable_;
    if (spec_.is_canary()) {
      pin(spec_.canary.stable_service, stable_hash, std::max(1, stable_->target));
      pin(spec_.canary.canary_service, second, std::max(1, second_slot->target));
    } else {
      pin(spec_.blue_green.active_service, stable_hash, std::max(1, replicas_));
      pin(spec_.blue_green.preview_service, second, std::max(1, replicas_));
    }
  }

  // ---- history ----

  void clean_history() {
    std::vector<Slot*> old;
    for (Slot& s : slots_) {
      if (s.kind == Workload::Kind::kReplicaSet && s.exists && &s != stable_ && &s != desired_ &&
          s.current == 0 && s.next == 0 && s.pods == 0 &&
          !(st().pending_rollback && st().pending_rollback->hash == s.hash)) {
        old.push_back(&s);
      }
    }
    std::sort(old.begin(), old.end(),
              [](const Slot* a, const Slot* b) { return a->revision > b->revision; });
    for (std::size_t i = static_cast<std::size_t>(spec_.revision_history_limit); i < old.size();
         ++i) {
      plan_.deletes.push_back(old[i]->name);
    }
  }

  void add_history(int revision, const std::string& hash, std::string event_name,
                   std::string reason, std::string by) {
    auto& h = st().history;
    h.push_back({revision, hash, std::move(event_name), std::move(reason), std::move(by), now_});
    if (h.size() > kMaxHistory) h.erase(h.begin(), h.begin() + (h.size() - kMaxHistory));
  }

  // ---- deletion ----

  void plan_deletion() {
    if (deployment_ == nullptr) {
      plan_.release = true;
      return;
    }
    deployment_->next = deployment_->current;
    if (deployment_->current < replicas_) {
      deployment_->next = replicas_;
      plan_.scales.push_back(
          {Workload::Kind::kDeployment, deployment_->name, deployment_->current, replicas_});
      event(false, "ScalingReplicaSet",
            "Scaled up Deployment " + deployment_->name + " from " +
                std::to_string(deployment_->current) + " to " + std::to_string(replicas_) +
                " to hand it back");
    }
    bool restored = deployment_->available >= std::min(floor_, replicas_);
    kube::SystemTime give_up = *in_.deletion + seconds(spec_.progress_deadline_seconds);
    if (!restored && now_ < give_up) {
      wake(give_up);
      wait_ = Wait::kPods;
      wait_detail_ = "restoring Deployment " + deployment_->name + ": " +
                     std::to_string(deployment_->available) + "/" + std::to_string(replicas_) +
                     " pods available";
      return;
    }
    if (!restored) {
      event(true, "ProgressDeadlineExceeded",
            "Deployment " + deployment_->name + " has " + std::to_string(deployment_->available) +
                "/" + std::to_string(replicas_) +
                " pods available; handing it back anyway after the progress deadline");
    }
    for (const std::string* name :
         {&spec_.canary.stable_service, &spec_.canary.canary_service,
          &spec_.blue_green.active_service, &spec_.blue_green.preview_service}) {
      const ServiceState* svc = service(*name);
      if (svc != nullptr && svc->pinned_hash) plan_.services.push_back({*name, ""});
    }
    plan_.release = true;
  }

  // ---- status ----

  void summarize() {
    RolloutStatus& s = st();
    int pods = 0, ready = 0, available = 0, serving = 0;
    mark_serving();
    for (const Slot& slot : slots_) {
      if (!slot.exists) continue;
      pods += slot.pods;
      ready += slot.ready;
      available += slot.reported_available;
      if (slot.serving) serving += slot.reported_available;
    }
    s.replicas = pods;
    s.ready_replicas = ready;
    s.available_replicas = available;
    if (!in_.deletion) {
      s.updated_replicas = desired_->exists ? desired_->pods : 0;
      s.updated_available_replicas = desired_->reported_available;
      s.stable_available_replicas = stable_->reported_available;
    }
    s.selector = spec_.selector.to_string();

    const std::int64_t gen = in_.generation;
    std::string available_text = std::to_string(serving) + " serving pods available, minimum " +
                                 std::to_string(std::max(0, floor_));
    set_condition(s.conditions, "Available", serving >= floor_ ? "True" : "False",
                  serving >= floor_ ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                  available_text, now_, gen);
    std::erase_if(s.conditions, [](const Condition& c) { return c.type == "InvalidSpec"; });

    if (in_.deletion) {
      s.phase = Phase::kProgressing;
      s.message = wait_detail_.empty() ? "handing the Deployment back" : wait_detail_;
      set_condition(s.conditions, "Progressing", "True", "RolloutDeleting", s.message, now_, gen);
      return;
    }

    bool paused =
        wait_ == Wait::kPauseStep || wait_ == Wait::kPromotion || wait_ == Wait::kSpecPaused;
    std::string pause_reason = wait_ == Wait::kPauseStep   ? "PauseStep"
                               : wait_ == Wait::kPromotion ? "AwaitingPromotion"
                                                           : "SpecPaused";
    Mode m = mode();
    bool converged = m == Mode::kSteady && stable_->available >= replicas_ &&
                     stable_->current == replicas_ && unpinned_services_.empty();
    for (const Slot& slot : slots_) {
      if (&slot != stable_ && slot.exists && slot.next > 0 && !slot.held) converged = false;
    }

    std::string where;
    if (spec_.is_canary() && m == Mode::kCanary) {
      int n = static_cast<int>(spec_.canary.steps.size());
      where = s.current_step_index < n
                  ? "step " + std::to_string(s.current_step_index + 1) + "/" + std::to_string(n) +
                        " (" + spec_.canary.steps[s.current_step_index].describe() + ")"
                  : "full promotion";
    }
    std::string counts = std::to_string(desired_->available) + "/" +
                         std::to_string(desired_->target) + " new and " +
                         std::to_string(stable_->available) + "/" +
                         std::to_string(stable_->target) + " stable pods available";

    if (m == Mode::kAborted) {
      s.phase = Phase::kAborted;
      s.message = "aborted: " + s.abort->message;
      set_condition(s.conditions, "Progressing", "False", "RolloutAborted", s.message, now_, gen);
    } else if (degraded_) {
      s.phase = Phase::kDegraded;
      s.message = wait_detail_;
      set_condition(s.conditions, "Progressing", "False",
                    wait_ == Wait::kService ? "ServiceNotFound" : "ProgressDeadlineExceeded",
                    s.message, now_, gen);
    } else if (paused) {
      s.phase = Phase::kPaused;
      if (wait_ == Wait::kPromotion) {
        s.message = "preview ready; waiting for promote (berth.dev/rollout-action=promote)";
      } else if (wait_ == Wait::kSpecPaused) {
        s.message = "paused by spec.paused" + (where.empty() ? "" : " at " + where);
      } else {
        const CanaryStep& step = spec_.canary.steps[s.current_step_index];
        s.message = "paused at " + where +
                    (step.pause ? "" : " until promoted (berth.dev/rollout-action=promote)");
      }
      set_condition(s.conditions, "Progressing", "Unknown", "RolloutPaused", s.message, now_, gen);
    } else if (converged) {
      s.phase = Phase::kHealthy;
      s.message = "revision " + std::to_string(stable_->revision) + " (" + s.stable_hash +
                  ") serving " + std::to_string(stable_->available) + "/" +
                  std::to_string(replicas_) + " pods";
      set_condition(s.conditions, "Progressing", "True", "RolloutCompleted", s.message, now_, gen);
    } else {
      s.phase = Phase::kProgressing;
      if (m == Mode::kSteady) {
        s.message = std::to_string(stable_->available) + "/" + std::to_string(replicas_) +
                    " pods of revision " + s.stable_hash + " available";
        if (!unpinned_services_.empty()) {
          s.message += "; waiting to switch Service " + unpinned_services_.front();
        }
      } else if (wait_ == Wait::kAnalysis) {
        s.message = (where.empty() ? "pre-promotion" : where) + ": analysis running; " + counts;
      } else {
        s.message = (where.empty() ? std::string("preview") : where) + ": " + counts;
      }
      set_condition(s.conditions, "Progressing", "True", "NewRevisionProgressing", s.message, now_,
                    gen);
    }
    if (!missing_services_.empty()) {
      s.message += "; Service " + missing_services_.front() + " not found";
    }
    set_condition(s.conditions, "Paused", paused ? "True" : "False",
                  paused ? pause_reason : "NotPaused", paused ? s.message : "", now_, gen);
  }

  Plan finish() {
    if (wakeup_) {
      auto d = duration_cast<milliseconds>(*wakeup_ - now_);
      plan_.requeue_after = std::max(d, milliseconds(1));
    }
    return std::move(plan_);
  }

  void wake(kube::SystemTime t) {
    if (!wakeup_ || t < *wakeup_) wakeup_ = t;
  }

  void event(bool warning, std::string reason, std::string message) {
    plan_.events.push_back({warning, std::move(reason), std::move(message)});
  }

  const PlanInput& in_;
  const RolloutSpec& spec_;
  kube::SystemTime now_;
  int replicas_;
  int surge_ = 0;
  int floor_ = 0;
  Plan plan_;
  std::vector<Slot> slots_;
  Slot* desired_ = nullptr;
  Slot* stable_ = nullptr;
  Slot* deployment_ = nullptr;
  std::string desired_hash_;
  bool takeover_ = false;
  bool promoted_ = false;
  bool degraded_ = false;
  Wait wait_ = Wait::kNone;
  std::string wait_detail_;
  std::vector<std::string> missing_services_;
  std::vector<std::string> unpinned_services_;
  std::optional<kube::SystemTime> wakeup_;
};

}  // namespace

Plan plan(const PlanInput& input) {
  return Planner(input).run();
}

RolloutStatus invalid_spec_status(const RolloutStatus& status, std::int64_t generation,
                                  std::string_view message, kube::SystemTime now) {
  RolloutStatus s = status;
  s.observed_generation = generation;
  s.phase = Phase::kDegraded;
  s.message = "invalid spec: " + std::string(message);
  set_condition(s.conditions, "InvalidSpec", "True", "InvalidSpec", message, now, generation);
  return s;
}

}  // namespace berth::rollout
