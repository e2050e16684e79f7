#include "controllers/rollout/http_prober.h"

#include <mutex>

#include "kube/http/client.h"

namespace berth::rollout {
namespace {

constexpr std::size_t kMaxBody = 1 << 20;
constexpr std::size_t kMaxIdleClients = 8;

class ClientProber final : public HttpProber {
 public:
  kube::Result<ProbeResponse> get(std::string_view url, const std::vector<HttpHeader>& headers,
                                  std::chrono::milliseconds timeout) override {
    std::unique_ptr<kube::http::Client> client = take();
    kube::http::Headers h;
    h.set("Accept", "application/json");
    h.set("User-Agent", "berth-rollout-analysis");
    for (const HttpHeader& header : headers)
      h.set(header.name, header.value);
    auto response = client->request("GET", url, h, {}, timeout);
    give_back(std::move(client));
    if (!response.ok()) return std::move(response).error();
    return ProbeResponse{response->status, std::move(response->body)};
  }

 private:
  std::unique_ptr<kube::http::Client> take() {
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        return c;
      }
    }
    kube::http::ClientOptions options;
    options.max_response_bytes = kMaxBody;
    return std::make_unique<kube::http::Client>(options);
  }

  void give_back(std::unique_ptr<kube::http::Client> client) {
    std::lock_guard lock(mu_);
    if (idle_.size() < kMaxIdleClients) idle_.push_back(std::move(client));
  }

  std::mutex mu_;
  std::vector<std::unique_ptr<kube::http::Client>> idle_;
};

}  // namespace

std::unique_ptr<HttpProber> make_http_prober() {
  return std::make_unique<ClientProber>();
}

}  // namespace berth::rollout
