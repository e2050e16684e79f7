#include "sim/apiserver/field_manager.h"

namespace berth::sim {

std::string manager_from_user_agent(std::string_view user_agent) {
  return std::string(user_agent.substr(0, user_agent.find('/')));
}

}  // namespace berth::sim
