// Shared by the HTTP benchmark and the wrk echo server: the request body, the handler and a
// throw-away serving certificate.
#pragma once

#include <string>

#include "kube/http/server.h"

namespace berth::bench {

// A JSON document of about `bytes` bytes shaped like a small scheduler-extender request.
std::string small_json_body(std::size_t bytes = 1024);

// Echoes a request body back as application/json (GET answers {}), like an extender or
// webhook that reads and answers a small document.
kube::http::Handler echo_handler();

// Generates a CA and a serving certificate for 127.0.0.1/localhost into a fresh temporary
// directory; returns TLS options pointing at the files, and the CA PEM for clients.
struct TempCertificate {
  std::shared_ptr<kube::http::TlsOptions> tls;
  std::string ca_pem;
  std::string dir;
};
TempCertificate make_temp_certificate();

}  // namespace berth::bench
