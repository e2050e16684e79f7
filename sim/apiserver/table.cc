#include "sim/apiserver/table.h"

#include <atomic>
#include <chrono>

#include "sim/apiserver/printers.h"

namespace berth::sim {

namespace json = kube::json;
using json::Value;

namespace {

enum class IncludeObject { kNone, kMetadata, kObject };

ApiResult<IncludeObject> include_object(const kube::http::Request& request) {
  std::string v = request.query_param("includeObject");
  if (v.empty() || v == "Metadata") return IncludeObject::kMetadata;
  if (v == "None") return IncludeObject::kNone;
  if (v == "Object") return IncludeObject::kObject;
  return errors::bad_request("unrecognized includeObject value: \"" + v + "\"");
}

// Renders Tables of one resource; the columns are serialized once.
class TableWriter {
 public:
  TableWriter(const ResourceInfo& resource, std::string version, IncludeObject include)
      : printer_(printer_for(resource)), api_version_("meta.k8s.io/" + version), include_(include) {
    json::Document columns(rapidjson::kArrayType);
    auto& a = columns.GetAllocator();
    for (const PrinterColumn& c : printer_.columns) {
      Value col(rapidjson::kObjectType);
      json::set_string(col, "name", c.name, a);
      json::set_string(col, "type", c.type, a);
      json::set_string(col, "format", c.format, a);
      json::set_string(col, "description", c.description, a);
      json::set(col, "priority", Value(c.priority), a);
      columns.PushBack(std::move(col), a);
    }
    columns_ = json::dump(columns);
  }

  // {"kind":"Table",...,"rows":[ - the caller appends rows and "]}".
  std::string head(std::string_view resource_version, std::string_view continue_token,
                   std::optional<std::int64_t> remaining, bool with_columns) const {
    json::Document meta(rapidjson::kObjectType);
    auto& a = meta.GetAllocator();
    if (!resource_version.empty()) json::set_string(meta, "resourceVersion", resource_version, a);
    if (!continue_token.empty()) json::set_string(meta, "continue", continue_token, a);
    if (remaining) json::set(meta, "remainingItemCount", Value(*remaining), a);
    std::string out = "{\"kind\":\"Table\",\"apiVersion\":\"" + api_version_ + "\",\"metadata\":";
    json::dump_to(meta, out);
    out.append(",\"columnDefinitions\":");
    out.append(with_columns ? columns_ : "null");
    out.append(",\"rows\":[");
    return out;
  }

  // One row for a served object.
  void row(const kube::Object& object, kube::SystemTime now, std::string& out) const {
    json::Document cells(rapidjson::kArrayType);
    bool completed = false;
    printer_.cells(printer_, object.json(), now, cells, cells.GetAllocator(), completed);
    out.append("{\"cells\":");
    json::dump_to(cells, out);
    if (completed) {
      const Value* status = json::find(object.json(), "status");
      bool succeeded = status != nullptr && status->IsObject() &&
                       json::get_string(*status, "phase") == "Succeeded";
      out.append(succeeded ? R"(,"conditions":[{"type":"Completed","status":"True",)"
                             R"("reason":"Succeeded","message":"The pod has completed )"
                             R"(successfully."}])"
                           : R"(,"conditions":[{"type":"Completed","status":"True",)"
                             R"("reason":"Failed","message":"The pod failed."}])");
    }
    out.append(",\"object\":");
    switch (include_) {
      case IncludeObject::kNone:
        out.append("null");
        break;
      case IncludeObject::kObject:
        json::dump_to(object.json(), out);
        break;
      case IncludeObject::kMetadata:
        out.append("{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"" + api_version_ +
                   "\",\"metadata\":");
        if (const Value* m = object.metadata()) {
          json::dump_to(*m, out);
        } else {
          out.append("{}");
        }
        out.push_back('}');
        break;
    }
    out.push_back('}');
  }

 private:
  TablePrinter printer_;
  std::string api_version_;
  IncludeObject include_;
  std::string columns_;
};

std::string version_of(const MediaRange& media) {
  return media.param("v");
}

IncludeObject include_or_default(const kube::http::Request& request) {
  auto include = include_object(request);
  return include.ok() ? *include : IncludeObject::kMetadata;
}

// Watch events as one-row Tables. The apiserver prints column headers once per stream, so
// only the first event carries columnDefinitions.
class TableEventEncoder : public EventEncoder {
 public:
  TableEventEncoder(const ObjectApi& api, std::shared_ptr<const ResourceInfo> resource,
                    std::string version, IncludeObject include)
      : api_(api), resource_(std::move(resource)), writer_(*resource_, version, include) {}

  std::string encode(EventType type, const kube::Object& stored) const override {
    kube::Object served = api_.served(*resource_, stored);
    bool first = !headers_sent_.exchange(true);
    std::string out = "{\"type\":\"";
    out.append(event_type_name(type));
    out.append("\",\"object\":");
    out.append(writer_.head(served.resource_version(), "", std::nullopt, first));
    writer_.row(served, std::chrono::system_clock::now(), out);
    out.append("]}}\n");
    return out;
  }

  // The apiserver prints a bookmark like any event: one row for the empty object that only
  // carries the resourceVersion (built-in kinds with "creationTimestamp":null).
  std::string bookmark(std::int64_t rv) const override {
    std::string rvs = std::to_string(rv);
    std::string text = "{\"metadata\":{\"resourceVersion\":\"" + rvs + "\"" +
                       (resource_->custom ? "}}" : ",\"creationTimestamp\":null}}");
    auto empty = kube::Object::parse(text);
    bool first = !headers_sent_.exchange(true);
    std::string out = "{\"type\":\"BOOKMARK\",\"object\":";
    out.append(writer_.head(rvs, "", std::nullopt, first));
    if (empty.ok()) writer_.row(*empty, std::chrono::system_clock::now(), out);
    out.append("]}}\n");
    return out;
  }

 private:
  const ObjectApi& api_;
  std::shared_ptr<const ResourceInfo> resource_;
  TableWriter writer_;
  mutable std::atomic<bool> headers_sent_{false};
};

class TableRepresentation : public Representation {
 public:
  bool accepts(const MediaRange& media, const ResourceInfo&) const override {
    std::string v = version_of(media);
    return media.param("as") == "Table" && media.param("g") == "meta.k8s.io" &&
           (v == "v1" || v == "v1beta1");
  }

  ApiStatus validate(const kube::http::Request& request) const override {
    auto include = include_object(request);
    if (!include.ok()) return include.error();
    return {};
  }

  std::string object(const RenderContext& ctx, const kube::Object& object) const override {
    TableWriter writer(ctx.resource, version_of(ctx.media), include_or_default(ctx.request));
    std::string out = writer.head(object.resource_version(), "", std::nullopt, true);
    writer.row(object, std::chrono::system_clock::now(), out);
    out.append("]}\n");
    return out;
  }

  std::string list(const RenderContext& ctx, const ListResult& list) const override {
    TableWriter writer(ctx.resource, version_of(ctx.media), include_or_default(ctx.request));
    std::string out = writer.head(std::to_string(list.resource_version), list.continue_token,
                                  list.remaining_item_count, true);
    auto now = std::chrono::system_clock::now();
    for (std::size_t i = 0; i < list.items.size(); ++i) {
      if (i > 0) out.push_back(',');
      writer.row(ctx.api.served(ctx.resource, list.items[i]), now, out);
    }
    out.append("]}\n");
    return out;
  }

  std::shared_ptr<const EventEncoder> watch_encoder(const RenderContext& ctx) const override {
    return std::make_shared<TableEventEncoder>(
        ctx.api, std::make_shared<ResourceInfo>(ctx.resource), version_of(ctx.media),
        include_or_default(ctx.request));
  }
};

}  // namespace

std::shared_ptr<Representation> table_representation() {
  return std::make_shared<TableRepresentation>();
}

}  // namespace berth::sim
