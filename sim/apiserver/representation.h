// Representation: a response format chosen by the Accept header's `as=` parameter
// (PartialObjectMetadata here; the Table of kubectl get in table.h).
// The handlers try registered representations in order and fall back to plain JSON when the
// client also accepts application/json.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kube/api/object.h"
#include "kube/http/message.h"
#include "sim/apiserver/object_api.h"
#include "sim/apiserver/registry.h"
#include "sim/apiserver/watch_hub.h"

namespace berth::sim {

// One entry of an Accept header: "application/json;as=Table;v=v1;g=meta.k8s.io".
struct MediaRange {
  std::string type;  // "application/json", "*/*"
  std::map<std::string, std::string> params;
  std::string param(std::string_view key) const;
};
std::vector<MediaRange> parse_accept(std::string_view header);

struct RenderContext {
  const kube::http::Request& request;
  const ObjectApi& api;
  const ResourceInfo& resource;
  const MediaRange& media;
};

class Representation {
 public:
  virtual ~Representation() = default;
  virtual bool accepts(const MediaRange& media, const ResourceInfo& resource) const = 0;
  // Rejects request parameters the representation cannot honour (a 400 before any work).
  virtual ApiStatus validate(const kube::http::Request&) const { return {}; }
  // `object` is in served form.
  virtual std::string object(const RenderContext& ctx, const kube::Object& object) const = 0;
  // List items are in stored form (ObjectApi::served converts).
  virtual std::string list(const RenderContext& ctx, const ListResult& list) const = 0;
  virtual std::shared_ptr<const EventEncoder> watch_encoder(const RenderContext& ctx) const = 0;
};

// meta.k8s.io/v1 PartialObjectMetadata and PartialObjectMetadataList.
std::shared_ptr<Representation> partial_object_metadata_representation();

// The list envelope the apiserver writes for `resource` (built-ins: kind, apiVersion,
// metadata, items without kind/apiVersion; custom resources: sorted keys, items whole).
std::string render_list(const ObjectApi& api, const ResourceInfo& resource, const ListResult& list);

}  // namespace berth::sim
