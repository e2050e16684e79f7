// WriteGuardTransport: the Manager's fence against writes from a process that is not (or no
// longer) the leader. It wraps the transport under the controllers' kube::Client and refuses
// every request other than GET while `may_write` says no, so a reconcile that ignores its
// cancelled context still cannot write after the lease is lost. Reads and watches pass.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "kube/client/transport.h"

namespace kube {

class WriteGuardTransport final : public Transport {
 public:
  // `may_write` is called before each write and must be cheap and thread-safe. `why` is the
  // message of the refusal (kCancelled).
  WriteGuardTransport(std::shared_ptr<Transport> inner, std::function<bool()> may_write,
                      std::string why);

  Result<HttpResponse> send(const HttpRequest& request, const CancelToken& cancel) override;
  Result<Stream> stream(const HttpRequest& request, const CancelToken& cancel) override;

  // Writes refused so far.
  std::uint64_t refused() const { return refused_.load(); }

 private:
  std::shared_ptr<Transport> inner_;
  std::function<bool()> may_write_;
  std::string why_;
  std::atomic<std::uint64_t> refused_{0};
};

}  // namespace kube
