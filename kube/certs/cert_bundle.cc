#include "kube/certs/cert_bundle.h"

#include <algorithm>

namespace kube::certs {

using std::chrono::system_clock;
using tls::KeyPair;

std::vector<std::string> service_dns_names(std::string_view service, std::string_view ns) {
  std::string s(service);
  std::string n(ns);
  return {s, s + "." + n, s + "." + n + ".svc", s + "." + n + ".svc.cluster.local"};
}

std::vector<std::string> split_pem_certificates(std::string_view pem) {
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (true) {
    auto begin = pem.find(kBegin, pos);
    if (begin == std::string_view::npos) break;
    auto end = pem.find(kEnd, begin);
    if (end == std::string_view::npos) break;
    end += kEnd.size();
    out.emplace_back(std::string(pem.substr(begin, end - begin)) + "\n");
    pos = end;
  }
  return out;
}

system_clock::time_point renewal_time(system_clock::time_point not_before,
                                      system_clock::time_point not_after,
                                      const CertificateSettings& settings) {
  auto lifetime = not_after - not_before;
  auto by_fraction = not_before + std::chrono::duration_cast<system_clock::duration>(
                                      lifetime * settings.renew_fraction);
  return std::min(by_fraction, not_after - settings.renew_before);
}

bool renewal_due(system_clock::time_point not_before, system_clock::time_point not_after,
                 system_clock::time_point now, const CertificateSettings& settings) {
  return now >= renewal_time(not_before, not_after, settings);
}

namespace {

tls::CertificateOptions serving_options(const CertificateSettings& settings) {
  tls::CertificateOptions o;
  o.common_name = settings.service_name + "." + settings.namespace_ + ".svc";
  o.dns_names = service_dns_names(settings.service_name, settings.namespace_);
  o.validity = settings.cert_validity;
  o.server_auth = true;
  o.key_type = settings.key_type;
  return o;
}

Result<KeyPair> generate_ca(const CertificateSettings& settings) {
  tls::CaOptions o;
  o.common_name = settings.service_name + "-ca";
  o.organizations = {"berth.dev"};
  o.validity = settings.ca_validity;
  o.key_type = settings.key_type;
  return tls::generate_ca(o);
}

}  // namespace

Assessment assess(const CertMaterial& m, const CertificateSettings& settings,
                  system_clock::time_point now) {
  Assessment a;
  auto fail = [&](std::string problem) {
    if (a.problem.empty()) a.problem = std::move(problem);
  };
  std::vector<std::string> cas = split_pem_certificates(m.ca_bundle);
  if (cas.empty()) {
    fail("no CA certificate");
  } else if (auto ca = tls::inspect_certificate(cas.front()); !ca.ok()) {
    fail("CA certificate unreadable: " + ca.error().message);
  } else if (!ca->is_ca) {
    fail("CA certificate is not a CA");
  } else if (!tls::check_key_matches(cas.front(), m.ca_key).ok()) {
    fail("CA key does not match the CA certificate");
  } else if (now >= ca->not_after || now < ca->not_before) {
    fail("CA certificate is not valid now");
  } else {
    a.ca_usable = true;
    a.ca_fresh = !renewal_due(ca->not_before, ca->not_after, now, settings);
    if (!a.ca_fresh) fail("CA certificate is due for renewal");
  }

  auto leaf = tls::inspect_certificate(m.tls_cert);
  if (!leaf.ok()) {
    fail("serving certificate unreadable");
    return a;
  }
  a.serving_not_after = leaf->not_after;
  std::vector<std::string> names = service_dns_names(settings.service_name, settings.namespace_);
  bool names_ok = std::all_of(names.begin(), names.end(), [&](const std::string& n) {
    return std::find(leaf->dns_names.begin(), leaf->dns_names.end(), n) != leaf->dns_names.end();
  });
  tls::VerifyOptions verify{
      .at = now, .host = names[2], .purpose = tls::VerifyOptions::Purpose::kServer};
  if (!tls::check_key_matches(m.tls_cert, m.tls_key).ok()) {
    fail("serving key does not match the serving certificate");
  } else if (!names_ok) {
    fail("serving certificate lacks a service DNS name");
  } else if (auto v = tls::verify_certificate(m.tls_cert, m.ca_bundle, verify); !v.ok()) {
    fail("serving certificate does not verify: " + v.error().message);
  } else {
    a.serving_usable = true;
    bool by_signing_ca =
        a.ca_usable && tls::verify_certificate(m.tls_cert, cas.front(), verify).ok();
    a.serving_fresh =
        by_signing_ca && !renewal_due(leaf->not_before, leaf->not_after, now, settings);
    if (!by_signing_ca) fail("serving certificate is signed by an earlier CA");
    if (!a.serving_fresh) fail("serving certificate is due for renewal");
  }
  return a;
}

Result<CertMaterial> new_material(const CertificateSettings& settings) {
  KUBE_ASSIGN_OR_RETURN(KeyPair ca, generate_ca(settings));
  KUBE_ASSIGN_OR_RETURN(KeyPair leaf, tls::issue_certificate(ca, serving_options(settings)));
  return CertMaterial{ca.cert_pem, ca.key_pem, leaf.cert_pem, leaf.key_pem};
}

Result<CertMaterial> rotate_ca(const CertMaterial& m, const CertificateSettings& settings,
                               system_clock::time_point now) {
  KUBE_ASSIGN_OR_RETURN(KeyPair ca, generate_ca(settings));
  CertMaterial out = m;
  out.ca_bundle = ca.cert_pem;
  out.ca_key = ca.key_pem;
  for (const std::string& old : split_pem_certificates(m.ca_bundle)) {
    auto info = tls::inspect_certificate(old);
    if (info.ok() && info->is_ca && now < info->not_after) out.ca_bundle += old;
  }
  return out;
}

Result<CertMaterial> reissue_serving(const CertMaterial& m, const CertificateSettings& settings) {
  std::vector<std::string> cas = split_pem_certificates(m.ca_bundle);
  if (cas.empty()) return Error::make(Reason::kInvalid, "no CA certificate");
  KUBE_ASSIGN_OR_RETURN(KeyPair leaf, tls::issue_certificate(KeyPair{cas.front(), m.ca_key},
                                                             serving_options(settings)));
  CertMaterial out = m;
  out.tls_cert = leaf.cert_pem;
  out.tls_key = leaf.key_pem;
  return out;
}

}  // namespace kube::certs
