#include "controllers/rollout/action.h"

#include "kube/core/strings.h"

namespace berth::rollout {

std::string_view action_name(Action::Kind kind) {
  switch (kind) {
    case Action::Kind::kPromote:
      return "promote";
    case Action::Kind::kPromoteFull:
      return "promote-full";
    case Action::Kind::kAbort:
      return "abort";
    case Action::Kind::kRetry:
      return "retry";
    case Action::Kind::kRollback:
      return "rollback";
  }
  return "";
}

ParsedAction parse_action(std::string_view value) {
  ParsedAction out;
  std::string_view text = kube::trim(value);
  Action action;
  if (auto at = text.find('@'); at != std::string_view::npos) {
    action.requester = std::string(kube::trim(text.substr(at + 1)).substr(0, 128));
    text = kube::trim(text.substr(0, at));
  }
  std::string_view argument;
  bool has_argument = false;
  if (auto colon = text.find(':'); colon != std::string_view::npos) {
    argument = kube::trim(text.substr(colon + 1));
    has_argument = true;
    text = kube::trim(text.substr(0, colon));
  }
  bool found = false;
  for (Action::Kind kind : {Action::Kind::kPromote, Action::Kind::kPromoteFull,
                            Action::Kind::kAbort, Action::Kind::kRetry, Action::Kind::kRollback}) {
    if (kube::iequals(text, action_name(kind))) {
      action.kind = kind;
      found = true;
    }
  }
  if (!found) {
    out.error = "unknown action \"" + std::string(text.substr(0, 64)) +
                "\"; expected promote, promote-full, abort, retry or rollback[:<revision>]";
    return out;
  }
  if (has_argument) {
    if (action.kind != Action::Kind::kRollback) {
      out.error = std::string(action_name(action.kind)) + " takes no argument";
      return out;
    }
    auto revision = kube::parse_int(argument);
    if (!revision || *revision < 1 || *revision > 1'000'000'000) {
      out.error = "rollback needs a positive revision number, got \"" +
                  std::string(argument.substr(0, 32)) + "\"";
      return out;
    }
    action.revision = static_cast<int>(*revision);
  }
  out.action = std::move(action);
  return out;
}

}  // namespace berth::rollout
