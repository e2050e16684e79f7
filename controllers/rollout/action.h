// Operations requested through the berth.dev/rollout-action annotation (what `kubectl annotate`
// or the kubectl plugin writes): "<action>[:<argument>][@<requester>]".
//
//   promote        finish the current step (a pause, an analysis) or, for blue-green, switch
//                  the active Service once the preview is ready
//   promote-full   skip every remaining step and analysis
//   abort          scale the new revision down and keep serving the stable one
//   retry          start an aborted revision over from its first step
//   rollback[:N]   go back to revision N (default: the stable revision while a new one is
//                  rolling out, else the revision before the stable one)
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace berth::rollout {

struct Action {
  enum class Kind { kPromote, kPromoteFull, kAbort, kRetry, kRollback };
  Kind kind = Kind::kPromote;
  std::optional<int> revision;  // kRollback
  std::string requester;        // after '@'; may be empty
};

std::string_view action_name(Action::Kind kind);

struct ParsedAction {
  std::optional<Action> action;
  std::string error;  // set when the value is not a valid action
};

ParsedAction parse_action(std::string_view value);

}  // namespace berth::rollout
