// Strategy: what one kind does differently on its way into storage - the apiserver's scheme
// defaulting and REST strategy (PrepareForCreate/Update, Validate, field selector attributes).
// ObjectApi runs the generic parts (metadata, generation, status isolation, concurrency) and
// calls these hooks in this order:
//   create: type_error → apply_defaults → prepare_for_create → [field manager, admission]
//           → validate
//   update: type_error → apply_defaults → prepare_for_update → [...] → validate_update
// Implementations are stateless (or immutable) and shared by all requests.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kube/core/json.h"
#include "sim/apiserver/field_error.h"
#include "sim/apiserver/meta.h"

namespace berth::sim {

class Strategy {
 public:
  virtual ~Strategy() = default;

  // A value of the wrong JSON type, as Go's decoder reports it ("json: cannot unmarshal number
  // into Go struct field ConfigMap.data of type string"); nullopt when the object decodes.
  virtual std::optional<std::string> type_error(const kube::json::Value& object) const;

  // Scheme defaults (the SetDefaults_* functions): every decoded object of the kind, on create
  // and on update, before managed fields are computed.
  virtual void apply_defaults(kube::json::Value& object, kube::json::Allocator& a) const;

  // Create: reset or initialize what users may not set. The default drops status when
  // `drops_status_on_create()`.
  virtual void prepare_for_create(kube::json::Value& object, kube::json::Allocator& a) const;
  virtual bool drops_status_on_create() const { return false; }

  // Update of the main resource (status isolation is generic; this is for kind rules).
  virtual void prepare_for_update(kube::json::Value& object, const kube::json::Value& old,
                                  kube::json::Allocator& a) const;

  virtual FieldErrors validate(const kube::json::Value& object) const;
  virtual FieldErrors validate_update(const kube::json::Value& object,
                                      const kube::json::Value& old) const;

  // Puts keys into the order the apiserver writes them (Go struct order, sorted maps); runs last
  // on every write of a built-in kind.
  virtual void canonicalize(kube::json::Value& object, kube::json::Allocator& a) const;

  // Removes fields the kind's schema does not know and returns their paths
  // ("spec.unknownField"); built-in kinds keep everything (no schema here).
  virtual std::vector<std::string> prune_unknown_fields(kube::json::Value& object) const;

  // The value of a supported field-selector label (beyond metadata.name/namespace, which are
  // generic). Labels resolve as dotted paths; a missing field is "".
  virtual std::string field_value(const kube::json::Value& object, std::string_view label) const;

  // Conversion between the served representation and storage, for kinds that share storage
  // with another group (events.k8s.io/v1 Event is stored as core/v1 Event).
  virtual void to_storage(kube::json::Value& object, kube::json::Allocator& a) const;
  virtual void from_storage(kube::json::Value& object, kube::json::Allocator& a) const;
  virtual bool converts() const { return false; }

  // DELETE keeps the object in a terminating state until something else finishes it
  // (namespaces: emptied by the namespace controller). May edit the object (status phase).
  virtual bool delay_delete(kube::json::Value& /*object*/, kube::json::Allocator& /*a*/) const {
    return false;
  }

  // PUT of a missing object creates it (Leases, Endpoints: false here like the apiserver for
  // most kinds).
  virtual bool allow_create_on_update() const { return false; }

  // Finalizers a DELETE adds before anything is removed (CRDs clean up their objects first).
  virtual std::vector<std::string> finalizers_on_delete() const { return {}; }

  // How metadata.name is validated.
  virtual NameRule name_rule() const { return NameRule::kSubdomain; }

  // Kinds with graceful deletion (pods): the grace period a DELETE without
  // gracePeriodSeconds uses; nullopt = deleted at once.
  virtual std::optional<std::int64_t> default_grace_period(const kube::json::Value& object) const;
};

// Dotted-path lookup used for field selectors and printer columns ("spec.nodeName").
const kube::json::Value* find_dotted(const kube::json::Value& object, std::string_view path);
// Scalar to selector string: strings as is, numbers and booleans in JSON form, otherwise "".
std::string scalar_string(const kube::json::Value* value);

}  // namespace berth::sim
