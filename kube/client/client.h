// Client: synchronous calls to the Kubernetes API for worker threads, in the spirit of
// client-go's dynamic client and kube-rs's Api: any kind addressed by a ResourceType, objects
// as kube::Object (JSON), failures as kube::Error decoded from the apiserver's Status.
//
// Every request passes a client-side token bucket (ClientOptions::qps/burst) and carries the
// config's credentials and the User-Agent. Idempotent requests answered 429/5xx with a
// Retry-After are retried after that delay; POSTs and unconditional writes never are.
//
// Thread-safe: share one Client between threads. Calls block the calling thread; never call
// them from inside a cpprestsdk continuation (its pool has 2 threads).
//
//   auto client = kube::Client::create(kube::load_config().value()).value();
//   auto pod = client->get(kube::resources::kPods, "default", "web-0");
//   if (!pod.ok() && pod.error().is_not_found()) { ... }
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kube/api/object.h"
#include "kube/api/resource.h"
#include "kube/client/options.h"
#include "kube/client/token_bucket.h"
#include "kube/client/transport.h"
#include "kube/client/watch_stream.h"
#include "kube/config/config.h"
#include "kube/config/token_source.h"
#include "kube/core/json.h"
#include "kube/core/result.h"

namespace kube {

struct ObjectList {
  std::string api_version{};  // "v1"
  std::string kind{};         // "ConfigMapList"
  std::string resource_version{};
  std::string continue_{};  // non-empty when more pages follow
  std::optional<std::int64_t> remaining_item_count{};
  // Items carry kind and apiVersion (the apiserver omits them inside lists).
  std::vector<Object> items{};
};

class Client {
 public:
  // A client over cpprestsdk for config.server. Fails on unusable TLS material or an
  // unreadable token file.
  static Result<std::unique_ptr<Client>> create(const Config& config, ClientOptions options = {});
  // Over any transport (tests, another HTTP stack). Uses the credentials of `config`, not its
  // TLS material (that is the transport's).
  Client(std::shared_ptr<Transport> transport, const Config& config, ClientOptions options = {});
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  // Namespace used when a call on a namespaced kind names none (the kubeconfig context's or
  // the pod's own, like kubectl).
  const std::string& default_namespace() const { return default_namespace_; }
  const std::string& user_agent() const { return user_agent_; }

  Result<Object> get(const ResourceType& type, std::string_view namespace_, std::string_view name,
                     const GetOptions& options = {});

  // One page (or everything, when options.limit is 0).
  Result<ObjectList> list(const ResourceType& type, std::string_view namespace_,
                          const ListOptions& options = {});
  // Every page, following continue tokens (page size options.limit, 500 when 0). The result's
  // resource_version is the first page's (the snapshot all pages come from).
  Result<ObjectList> list_all(const ResourceType& type, std::string_view namespace_,
                              const ListOptions& options = {});

  // POST. Namespace and name come from object.metadata (namespace defaults as above).
  Result<Object> create(const ResourceType& type, const json::Value& object,
                        const WriteOptions& options = {});
  // PUT of the whole object; metadata.resourceVersion makes it conditional (409 Conflict when
  // stale).
  Result<Object> update(const ResourceType& type, const json::Value& object,
                        const WriteOptions& options = {});
  // PUT .../status: only the status of `object` is written.
  Result<Object> update_status(const ResourceType& type, const json::Value& object,
                               const WriteOptions& options = {});
  Result<Object> patch(const ResourceType& type, std::string_view namespace_, std::string_view name,
                       PatchType patch_type, std::string_view body,
                       const PatchOptions& options = {});
  // DELETE. Returns the object as the apiserver answered: its last state, still present with a
  // deletionTimestamp while finalizers or a grace period run, or a Status (kind "Status").
  Result<Object> remove(const ResourceType& type, std::string_view namespace_,
                        std::string_view name, const DeleteOptions& options = {});

  // Any request, for subresources without a helper (pods/binding, pods/eviction, pods/log).
  // `path` is the already-encoded path and query under the server URL. Non-2xx answers are
  // errors; only GETs are retried.
  Result<HttpResponse> request(std::string_view method, std::string_view path,
                               std::string_view body = {},
                               std::string_view content_type = "application/json",
                               const CancelToken& cancel = {});

  // Starts a watch; events are read from the returned stream. A 410 Gone (resourceVersion
  // too old) is an error here or an ERROR event on the stream.
  Result<std::unique_ptr<WatchStream>> watch(const ResourceType& type, std::string_view namespace_,
                                             const WatchOptions& options = {});

 private:
  enum class Retry { kNever, kWithRetryAfter };
  Result<HttpResponse> execute(HttpRequest request, Retry retry, const CancelToken& cancel);
  Result<Transport::Stream> open_stream(HttpRequest request, const CancelToken& cancel);
  // Sets Authorization and User-Agent; returns the bearer token used ("" for none).
  Result<std::string> authorize(HttpRequest& request);
  bool refresh_token_after_401(const std::string& used_token);
  Result<Object> write_object(std::string_view method, const ResourceType& type,
                              const json::Value& object, std::string_view subresource,
                              const WriteOptions& options);
  std::string namespace_or_default(const ResourceType& type, std::string_view namespace_) const;
  Result<ObjectList> decode_list(const ResourceType& type, std::string_view body) const;

  std::shared_ptr<Transport> transport_;
  ClientOptions options_;
  Clock& clock_;
  TokenBucket limiter_;
  std::shared_ptr<TokenSource> token_source_;  // null without a bearer token
  std::string basic_auth_;                     // "Basic ..." or empty
  std::string default_namespace_;
  std::string user_agent_;
};

}  // namespace kube
