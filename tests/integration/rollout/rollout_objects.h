// JSON of the objects the rollout integration tests create, and readers of a Rollout's status.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kube/api/object.h"
#include "kube/core/time.h"

namespace berth::rollout::testing {

// A Rollout of `replicas` pods labelled app=<name>, one container "app" running `image`.
// `pod_annotations` is the JSON of the template's annotations ("" = none); `extra` more spec
// members ("\"progressDeadlineSeconds\":2").
std::string rollout_json(std::string_view name, int replicas, std::string_view image,
                         std::string_view strategy, std::string_view extra = "",
                         std::string_view pod_annotations = "");
// A Service selecting app=<app>.
std::string service_json(std::string_view name, std::string_view app);
// A merge patch setting the container image and the template's annotations (JSON, "" = null).
std::string image_patch(std::string_view image, std::string_view pod_annotations = "");
// The template hash of rollout_json(app, ..., image, ..., pod_annotations)'s template.
std::string hash_of(std::string_view app, std::string_view image,
                    std::string_view pod_annotations = "");

std::string phase(const kube::Object& rollout);
std::string status_string(const kube::Object& rollout, std::string_view key);
std::int64_t status_int(const kube::Object& rollout, std::string_view key);
std::optional<std::string> condition(const kube::Object& rollout, std::string_view type,
                                     std::string_view field);
// status.abort.<field> ("" when not aborted).
std::string abort_field(const kube::Object& rollout, std::string_view field);
// History entries with this event (and hash and requester, when not empty).
int history_count(const kube::Object& rollout, std::string_view event, std::string_view hash = {},
                  std::string_view by = {});

// The time of the last history entry with this event and hash.
std::optional<kube::SystemTime> history_time(const kube::Object& rollout, std::string_view event,
                                             std::string_view hash);

bool pod_ready(const kube::Object& pod);
std::string pod_phase(const kube::Object& pod);

}  // namespace berth::rollout::testing
