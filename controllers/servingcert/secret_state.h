// The two Secrets the servingcert controller keeps per Service - the serving Secret pods mount
// (ca.crt, tls.crt, tls.key) and its "<name>-ca" Secret (ca.crt, ca.key) - as the controller
// reads them, whether it may write them, and the documents it writes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kube/api/object.h"
#include "kube/core/json.h"

namespace berth::servingcert {

inline constexpr std::string_view kTlsSecretType = "kubernetes.io/tls";
inline constexpr std::string_view kOpaqueSecretType = "Opaque";

// One Secret, decoded. Values that are not valid base64 read as empty.
struct SecretView {
  bool exists = false;
  std::string type{};
  bool managed = false;   // labelled app.kubernetes.io/managed-by=berth-controller
  std::string service{};  // berth.dev/serving-cert-service
  bool has_data = false;  // some data value is not empty
  // Value of `key` in data ("" when absent).
  std::string value(std::string_view key) const;

  std::vector<std::pair<std::string, std::string>> data{};
};

// A null object reads as {exists = false}.
SecretView read_secret(const kube::Object& secret);

enum class Ownership {
  kAbsent,     // to be created
  kOwned,      // Berth's, for this Service
  kAdoptable,  // exists with no data and no owner mark (an empty Secret shipped for RBAC)
  kForeign,    // someone else's: never written
};

struct OwnershipCheck {
  Ownership ownership = Ownership::kAbsent;
  std::string reason{};  // why kForeign, for the event and the log
};

// Whether the controller may write `secret` for Service `service`. A Secret of another type is
// foreign (the type is immutable); so is one holding data without Berth's label, or one Berth
// keeps for another Service.
OwnershipCheck check_ownership(const SecretView& secret, std::string_view type,
                               std::string_view service);

// "" when `name` can name the serving Secret (a DNS-1123 subdomain, with room for the "-ca"
// suffix); else why not.
std::string invalid_secret_name(std::string_view name);

// The Secret to create (current = null) or update (a copy of current: its resourceVersion makes
// the update fail on a concurrent change). Sets `data` keys (others are kept), Berth's labels and
// the Service annotation.
kube::json::Document secret_document(
    const kube::Object* current, std::string_view namespace_, std::string_view name,
    std::string_view type, std::string_view service, std::string_view component,
    const std::vector<std::pair<std::string_view, std::string>>& data);

}  // namespace berth::servingcert
