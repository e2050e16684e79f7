#include "bench/http/bench_support.h"

#include <stdlib.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "kube/tls/certificates.h"

namespace berth::bench {

std::string small_json_body(std::size_t bytes) {
  std::string body = R"({"pod":{"metadata":{"name":"web-7d4b9c","namespace":"default"}},)"
                     R"("nodenames":[)";
  for (int i = 0; body.size() + 20 < bytes; ++i) {
    if (i > 0) body += ',';
    body += "\"node-" + std::to_string(1000 + i) + "\"";
  }
  body += "]}";
  return body;
}

kube::http::Handler echo_handler() {
  return [](kube::http::Request&& request, kube::http::Responder responder) {
    responder.send(kube::http::Response::json(
        200, request.body.empty() ? std::string("{}") : std::move(request.body)));
  };
}

TempCertificate make_temp_certificate() {
  auto ca = kube::tls::generate_ca({.common_name = "berth-bench-ca"});
  if (!ca.ok()) throw std::runtime_error(ca.error().to_string());
  auto leaf = kube::tls::issue_certificate(
      *ca, {.common_name = "localhost", .dns_names = {"localhost"}, .ip_addresses = {"127.0.0.1"}});
  if (!leaf.ok()) throw std::runtime_error(leaf.error().to_string());
  char tmpl[] = "/tmp/berth-bench-tls-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  TempCertificate out;
  out.dir = tmpl;
  out.ca_pem = ca->cert_pem;
  out.tls = std::make_shared<kube::http::TlsOptions>();
  out.tls->cert_file = out.dir + "/tls.crt";
  out.tls->key_file = out.dir + "/tls.key";
  std::ofstream(out.tls->cert_file) << leaf->cert_pem;
  std::ofstream(out.tls->key_file) << leaf->key_pem;
  return out;
}

}  // namespace berth::bench
