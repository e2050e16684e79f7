// Internal to kube/patch: the walks server-side apply makes over objects, following the field
// table of schema.h (structured-merge-diff's ToFieldSet, Compare, Merge and RemoveItems).
#pragma once

#include <optional>

#include "kube/core/json.h"
#include "kube/core/result.h"
#include "kube/patch/field_set.h"
#include "kube/patch/schema.h"

namespace kube::patch::internal {

// Where a value sits: the schema of the value when it is an object (or of a list's elements),
// and the field that holds it (which decides how a list is keyed). Both may be null.
struct Node {
  const TypeSchema* type = nullptr;
  const FieldSchema* field = nullptr;
};

// The paths a configuration sets: scalars, atomic values, list elements, empty objects.
Result<FieldSet> to_field_set(const json::Value& value, Node node);

struct Comparison {
  FieldSet added;
  FieldSet modified;
  FieldSet removed;
  bool same() const { return added.empty() && modified.empty() && removed.empty(); }
};
// What changed from `before` to `after` (either may be null: absent).
Result<Comparison> compare(const json::Value* before, const json::Value* after, Node node);

// `config` merged over `live`: config wins for scalars and atomic values, objects merge per
// member, keyed lists and sets per element (live order, config's elements in config order).
Result<std::optional<json::Value>> merge(const json::Value* live, const json::Value* config,
                                         Node node, json::Allocator& allocator);

// Removes the paths of `paths` (and what is below them) from `value`. Objects left empty by the
// removal are removed as well.
Status remove_paths(json::Value& value, const FieldSet& paths, Node node);

}  // namespace kube::patch::internal
