#include "kube/manager/write_guard.h"

#include "kube/core/log.h"

namespace kube {

WriteGuardTransport::WriteGuardTransport(std::shared_ptr<Transport> inner,
                                         std::function<bool()> may_write, std::string why)
    : inner_(std::move(inner)), may_write_(std::move(may_write)), why_(std::move(why)) {}

Result<HttpResponse> WriteGuardTransport::send(const HttpRequest& request,
                                               const CancelToken& cancel) {
  if (request.method != "GET" && !may_write_()) {
    refused_.fetch_add(1);
    log::warn("write refused", {{"method", request.method}, {"reason", why_}});
    return Error::make(Reason::kCancelled, why_);
  }
  return inner_->send(request, cancel);
}

Result<Transport::Stream> WriteGuardTransport::stream(const HttpRequest& request,
                                                      const CancelToken& cancel) {
  if (request.method != "GET" && !may_write_()) {
    refused_.fetch_add(1);
    return Error::make(Reason::kCancelled, why_);
  }
  return inner_->stream(request, cancel);
}

}  // namespace kube
