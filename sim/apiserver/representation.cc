#include "sim/apiserver/representation.h"

#include "kube/core/strings.h"

namespace berth::sim {

namespace json = kube::json;
using json::Value;

std::string MediaRange::param(std::string_view key) const {
  auto it = params.find(std::string(key));
  return it == params.end() ? std::string() : it->second;
}

std::vector<MediaRange> parse_accept(std::string_view header) {
  std::vector<MediaRange> out;
  for (std::string_view part : kube::split(header, ',')) {
    auto fields = kube::split(part, ';');
    if (fields.empty()) continue;
    MediaRange m;
    m.type = std::string(kube::trim(fields[0]));
    for (std::size_t i = 1; i < fields.size(); ++i) {
      std::string_view f = kube::trim(fields[i]);
      auto eq = f.find('=');
      if (eq == std::string_view::npos) continue;
      m.params[std::string(kube::trim(f.substr(0, eq)))] =
          std::string(kube::trim(f.substr(eq + 1)));
    }
    if (!m.type.empty()) out.push_back(std::move(m));
  }
  return out;
}

namespace {

void list_metadata(Value& meta, const ListResult& list, bool custom, json::Allocator& a) {
  if (custom) {
    json::set_string(meta, "continue", list.continue_token, a);
    if (list.remaining_item_count) {
      json::set(meta, "remainingItemCount", Value(*list.remaining_item_count), a);
    }
    json::set_string(meta, "resourceVersion", std::to_string(list.resource_version), a);
    return;
  }
  json::set_string(meta, "resourceVersion", std::to_string(list.resource_version), a);
  if (!list.continue_token.empty()) json::set_string(meta, "continue", list.continue_token, a);
  if (list.remaining_item_count) {
    json::set(meta, "remainingItemCount", Value(*list.remaining_item_count), a);
  }
}

// {"kind":..,"apiVersion":..,"metadata":{..},"items":[ + items + ]}
std::string envelope_head(std::string_view kind, std::string_view api_version,
                          const ListResult& list, bool custom) {
  json::Document meta(rapidjson::kObjectType);
  list_metadata(meta, list, custom, meta.GetAllocator());
  std::string out;
  if (custom) {
    out = "{\"apiVersion\":\"" + std::string(api_version) + "\",\"items\":[";
  } else {
    out = "{\"kind\":\"" + std::string(kind) + "\",\"apiVersion\":\"" + std::string(api_version) +
          "\",\"metadata\":";
    json::dump_to(meta, out);
    out.append(",\"items\":[");
  }
  return out;
}

std::string envelope_tail(std::string_view kind, const ListResult& list, bool custom) {
  if (!custom) return "]}\n";
  json::Document meta(rapidjson::kObjectType);
  list_metadata(meta, list, custom, meta.GetAllocator());
  std::string out = "],\"kind\":\"" + std::string(kind) + "\",\"metadata\":";
  json::dump_to(meta, out);
  out.append("}\n");
  return out;
}

// Drops the leading "kind" and "apiVersion" members of a built-in object's JSON.
void append_without_type(const kube::Object& served, std::string& out) {
  std::string text = json::dump(served.json());
  std::string prefix = "{\"kind\":\"" + std::string(served.kind()) + "\",\"apiVersion\":\"" +
                       std::string(served.api_version()) + "\"";
  if (text.starts_with(prefix)) {
    std::size_t cut = prefix.size();
    if (cut < text.size() && text[cut] == ',') ++cut;
    out.push_back('{');
    out.append(text, cut, std::string::npos);
    return;
  }
  json::Document doc = served.copy();
  json::remove(doc, "kind");
  json::remove(doc, "apiVersion");
  json::dump_to(doc, out);
}

class PartialObjectMetadata : public Representation {
 public:
  bool accepts(const MediaRange& media, const ResourceInfo&) const override {
    std::string as = media.param("as");
    return media.param("g") == "meta.k8s.io" && media.param("v") == "v1" &&
           (as == "PartialObjectMetadata" || as == "PartialObjectMetadataList");
  }
  std::string object(const RenderContext&, const kube::Object& object) const override {
    std::string out = partial(object);
    out.push_back('\n');
    return out;
  }
  std::string list(const RenderContext& ctx, const ListResult& list) const override {
    std::string out = envelope_head("PartialObjectMetadataList", "meta.k8s.io/v1", list, false);
    for (std::size_t i = 0; i < list.items.size(); ++i) {
      if (i > 0) out.push_back(',');
      out.append(partial(ctx.api.served(ctx.resource, list.items[i])));
    }
    out.append("]}\n");
    return out;
  }
  std::shared_ptr<const EventEncoder> watch_encoder(const RenderContext&) const override {
    return std::make_shared<JsonEventEncoder>("meta.k8s.io/v1", "PartialObjectMetadata", false,
                                              [](const kube::Object& o) { return partial(o); });
  }

 private:
  static std::string partial(const kube::Object& o) {
    std::string out =
        "{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":";
    if (const Value* meta = o.metadata()) {
      json::dump_to(*meta, out);
    } else {
      out.append("{}");
    }
    out.push_back('}');
    return out;
  }
};

}  // namespace

std::shared_ptr<Representation> partial_object_metadata_representation() {
  return std::make_shared<PartialObjectMetadata>();
}

std::string render_list(const ObjectApi& api, const ResourceInfo& resource,
                        const ListResult& list) {
  std::string out =
      envelope_head(resource.list_kind, resource.api_version(), list, resource.custom);
  for (std::size_t i = 0; i < list.items.size(); ++i) {
    if (i > 0) out.push_back(',');
    kube::Object served = api.served(resource, list.items[i]);
    if (resource.custom) {
      json::dump_to(served.json(), out);
    } else {
      append_without_type(served, out);
    }
  }
  out.append(envelope_tail(resource.list_kind, list, resource.custom));
  return out;
}

}  // namespace berth::sim
