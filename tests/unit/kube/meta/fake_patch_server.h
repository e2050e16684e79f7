// A Transport that keeps one object and applies JSON patches to it the way the apiserver does
// (kube/patch), answering a failed test operation with the apiserver's generic 422. Lets the
// finalizer and ownerReference helpers be tested through a real kube::Client.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "kube/client/client.h"
#include "kube/patch/patch.h"

namespace berth::testing {

class FakePatchServer : public kube::Transport {
 public:
  explicit FakePatchServer(std::string object_json)
      : object_(kube::json::parse(object_json).value()) {}

  kube::Result<kube::HttpResponse> send(const kube::HttpRequest& request,
                                        const kube::CancelToken&) override {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
    if (request.method != "PATCH") return reply(405, status(405, "MethodNotAllowed", "no"));
    auto ops = kube::json::parse(request.body);
    if (!ops.ok()) return reply(400, status(400, "BadRequest", "bad patch"));
    kube::json::Document candidate = kube::json::copy(object_);
    auto applied = kube::patch::apply_json_patch(candidate, *ops);
    if (!applied.ok()) {
      return reply(422, status(422, "Invalid",
                               "the server rejected our request due to an error in our request"));
    }
    auto& meta = candidate["metadata"];
    std::int64_t rv = std::stoll(std::string(kube::json::get_string(meta, "resourceVersion"))) + 1;
    kube::json::set_string(meta, "resourceVersion", std::to_string(rv), candidate.GetAllocator());
    object_ = std::move(candidate);
    return reply(200, kube::json::dump(object_));
  }
  kube::Result<Stream> stream(const kube::HttpRequest&, const kube::CancelToken&) override {
    return kube::Error::transport("no streams here");
  }

  // Changes the stored object as another writer would.
  void mutate(const std::function<void(kube::json::Document&)>& fn) {
    std::lock_guard lock(mu_);
    fn(object_);
    auto& meta = object_["metadata"];
    std::int64_t rv = std::stoll(std::string(kube::json::get_string(meta, "resourceVersion"))) + 1;
    kube::json::set_string(meta, "resourceVersion", std::to_string(rv), object_.GetAllocator());
  }
  kube::Object current() {
    std::lock_guard lock(mu_);
    return kube::Object::from(object_);
  }
  std::vector<kube::HttpRequest> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  static std::string status(int code, const std::string& reason, const std::string& message) {
    return R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":")" + message +
           R"(","reason":")" + reason + R"(","code":)" + std::to_string(code) + "}";
  }
  static kube::HttpResponse reply(int code, std::string body) {
    return kube::HttpResponse{code, "application/json", {}, {}, std::move(body)};
  }

  std::mutex mu_;
  kube::json::Document object_;
  std::vector<kube::HttpRequest> requests_;
};

inline std::unique_ptr<kube::Client> client_for(std::shared_ptr<FakePatchServer> server) {
  kube::Config config;
  config.server = "http://127.0.0.1:1";
  kube::ClientOptions options;
  options.qps = 0;
  return std::make_unique<kube::Client>(std::move(server), config, options);
}

}  // namespace berth::testing
