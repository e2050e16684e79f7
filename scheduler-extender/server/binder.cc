#include "scheduler-extender/server/binder.h"

#include "kube/core/json.h"

namespace berth::extender {

namespace json = kube::json;

std::string binding_body(const protocol::BindingArgs& args) {
  json::Document doc;
  doc.SetObject();
  auto& a = doc.GetAllocator();
  json::set_string(doc, "apiVersion", "v1", a);
  json::set_string(doc, "kind", "Binding", a);
  json::Value& meta = json::ensure_object(doc, "metadata", a);
  json::set_string(meta, "name", args.pod_name, a);
  json::set_string(meta, "namespace", args.pod_namespace, a);
  if (!args.pod_uid.empty()) json::set_string(meta, "uid", args.pod_uid, a);
  json::Value& target = json::ensure_object(doc, "target", a);
  json::set_string(target, "apiVersion", "v1", a);
  json::set_string(target, "kind", "Node", a);
  json::set_string(target, "name", args.node, a);
  return json::dump(doc);
}

ApiBinder::ApiBinder(kube::Client& client) : client_(client), worker_([this] { run(); }) {}

ApiBinder::~ApiBinder() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  worker_.join();
  for (Job& job : jobs_) {
    job.done(kube::Error::make(kube::Reason::kCancelled, "berth-extender is shutting down"));
  }
}

void ApiBinder::bind(const protocol::BindingArgs& args, std::function<void(kube::Status)> done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      jobs_.push_back({args, std::move(done)});
      cv_.notify_one();
      return;
    }
  }
  done(kube::Error::make(kube::Reason::kCancelled, "berth-extender is shutting down"));
}

void ApiBinder::run() {
  while (true) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    std::string path =
        kube::resources::kPods.path(job.args.pod_namespace, job.args.pod_name, "binding");
    auto response = client_.request("POST", path, binding_body(job.args));
    job.done(response.ok() ? kube::Status() : kube::Status(std::move(response).error()));
  }
}

}  // namespace berth::extender
