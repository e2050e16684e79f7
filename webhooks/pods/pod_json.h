// Small accessors over a pod's JSON shared by the mutators and the validator. They tolerate
// any shape: a field of the wrong type reads as absent (the apiserver validates pods after
// admission; Berth must not crash before it).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "kube/core/json.h"

namespace berth::webhooks {

// The lists of containers a pod spec holds, in the order the policy reports them.
inline constexpr std::string_view kContainerLists[] = {"initContainers", "containers",
                                                       "ephemeralContainers"};

std::optional<std::string_view> pod_annotation(const kube::json::Value& pod, std::string_view key);

// pod.spec or nullptr.
const kube::json::Value* pod_spec(const kube::json::Value& pod);
kube::json::Value* pod_spec(kube::json::Value& pod);

// pod.spec.<list> when it is an array, else nullptr.
const kube::json::Value* container_list(const kube::json::Value& pod, std::string_view list);
kube::json::Value* container_list(kube::json::Value& pod, std::string_view list);

// The container called `name` in `list`, or nullptr.
const kube::json::Value* find_container(const kube::json::Value& pod, std::string_view list,
                                        std::string_view name);

// How a pod names itself in messages: its name, else its generateName followed by "*", else
// "(unnamed)".
std::string pod_display_name(const kube::json::Value& pod, std::string_view request_name);

// Comma-separated annotation values: trimmed, empty items dropped, duplicates removed (first
// occurrence kept).
std::vector<std::string> split_list(std::string_view value);

}  // namespace berth::webhooks
