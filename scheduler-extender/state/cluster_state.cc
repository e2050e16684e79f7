#include "scheduler-extender/state/cluster_state.h"

#include <algorithm>
#include <cassert>

#include "scheduler-extender/state/well_known.h"

namespace berth::extender {

namespace {

std::uint64_t pair_key(Id a, Id b) {
  return AnchorIndex::pair_key(a, b);
}

bool same_labels(const Labels& a, const Labels& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](auto& x, auto& y) {
           return x.key == y.key && x.value == y.value;
         });
}

template <typename T>
void swap_remove(std::vector<T>& v, std::size_t pos) {
  v[pos] = v.back();
  v.pop_back();
}

std::string_view kind_tag(TermKind kind) {
  switch (kind) {
    case TermKind::kRequiredAntiAffinity:
      return "req-anti";
    case TermKind::kRequiredAffinity:
      return "req-aff";
    case TermKind::kPreferredAffinity:
      return "pref-aff";
    case TermKind::kPreferredAntiAffinity:
      return "pref-anti";
  }
  return "";
}

// The term as kube-scheduler evaluates an existing pod's term: an empty namespace list and no
// namespaceSelector mean the pod's own namespace.
std::string group_signature(TermKind kind, std::int32_t weight, const PodAffinityTermSpec& term,
                            const std::string& pod_namespace) {
  std::string s(kind_tag(kind));
  s += '/';
  s += std::to_string(weight);
  s += '/';
  if (term.namespaces.empty() && !term.namespace_selector) {
    PodAffinityTermSpec own = term;
    own.namespaces = {pod_namespace};
    s += own.signature();
  } else {
    s += term.signature();
  }
  return s;
}

}  // namespace

ClusterState::ClusterState(ClusterStateOptions options) : options_(options) {
  // Held for the life of the state, so these ids never change.
  hostname_key_ = strings_.intern(well_known::kHostnameLabel);
  rack_key_ = strings_.intern(well_known::kRackLabel);
  zone_key_ = strings_.intern(well_known::kZoneLabel);
  region_key_ = strings_.intern(well_known::kRegionLabel);
  assert(hostname_key_ == kHostnameKeyId && rack_key_ == kRackKeyId && zone_key_ == kZoneKeyId &&
         region_key_ == kRegionKeyId);
}

ClusterState::~ClusterState() = default;

// ---------------------------------------------------------------------------------------------
// Reader

Slot ClusterState::Reader::find_node(std::string_view name) const {
  Slot slot = s_->node_by_name_.find(name);
  if (slot == NameIndex::kMissing || !s_->nodes_[slot].present) return kNoSlot;
  return slot;
}

Slot ClusterState::Reader::find_pod(std::string_view uid) const {
  auto it = s_->pod_by_uid_.find(uid);
  return it == s_->pod_by_uid_.end() ? kNoSlot : it->second;
}

const NamespaceRecord* ClusterState::Reader::namespace_record(Id ns) const {
  auto it = s_->namespaces_.find(ns);
  return it == s_->namespaces_.end() ? nullptr : &it->second;
}

std::vector<std::string> ClusterState::Reader::namespaces_matching(
    const kube::LabelSelector& selector) const {
  CompiledSelector compiled = CompiledSelector::lookup(selector, s_->strings_);
  std::vector<std::string> out;
  for (const auto& [id, record] : s_->namespaces_) {
    if (record.present && compiled.matches(record.labels)) {
      out.emplace_back(s_->strings_.str(id));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

const CountView* ClusterState::Reader::find_view(std::string_view signature) const {
  auto it = s_->view_by_signature_.find(signature);
  if (it == s_->view_by_signature_.end()) return nullptr;
  const CountView* view = s_->views_[it->second].get();
  view->last_used.store(++s_->view_clock_, std::memory_order_relaxed);
  return view;
}

std::unique_ptr<CountView> ClusterState::Reader::compute_view(const ViewKey& key) const {
  auto view = std::make_unique<CountView>();
  view->signature = key.signature;
  for (const ViewClauseKey& c : key.clauses) {
    ViewClause clause;
    clause.all_namespaces = c.all_namespaces;
    for (const std::string& n : c.namespaces)
      clause.namespaces.push_back(s_->strings_.find(n));
    std::sort(clause.namespaces.begin(), clause.namespaces.end());
    clause.selector = CompiledSelector::lookup(c.selector, s_->strings_);
    view->clauses.push_back(std::move(clause));
  }
  for (const std::string& k : key.keys)
    view->keys.push_back(s_->strings_.find(k));
  view->counts.resize(view->keys.size());
  choose_anchor_clause(*view);
  s_->fill_view(*view);
  return view;
}

std::uint32_t ClusterState::Reader::pod_group_members(std::string_view ns,
                                                      std::string_view group) const {
  Id n = s_->strings_.find(ns);
  Id g = s_->strings_.find(group);
  if (n == kNoId || g == kNoId) return 0;
  auto it = s_->pod_groups_.find(pair_key(n, g));
  return it == s_->pod_groups_.end() ? 0 : it->second;
}

const PvcSpec* ClusterState::Reader::claim(std::string_view namespace_,
                                           std::string_view name) const {
  std::string key(namespace_);
  key += '/';
  key += name;
  auto it = s_->claims_.find(key);
  return it == s_->claims_.end() ? nullptr : &it->second.spec;
}

const PvSpec* ClusterState::Reader::volume(std::string_view name) const {
  auto it = s_->volumes_.find(name);
  return it == s_->volumes_.end() ? nullptr : &it->second.spec;
}

const StorageClassSpec* ClusterState::Reader::storage_class(std::string_view name) const {
  auto it = s_->storage_classes_.find(name);
  return it == s_->storage_classes_.end() ? nullptr : &it->second.spec;
}

std::int64_t ClusterState::Reader::image_size(Id image) const {
  auto it = s_->images_.find(image);
  return it == s_->images_.end() ? 0 : it->second.size;
}

// ---------------------------------------------------------------------------------------------
// Nodes

Slot ClusterState::node_slot(std::string_view name, bool create) {
  if (Slot slot = node_by_name_.find(name); slot != NameIndex::kMissing) return slot;
  if (!create) return kNoSlot;
  Slot slot;
  if (!free_nodes_.empty()) {
    slot = free_nodes_.back();
    free_nodes_.pop_back();
  } else {
    slot = static_cast<Slot>(nodes_.size());
    nodes_.emplace_back();
  }
  NodeRecord& n = nodes_[slot];
  n = NodeRecord{};
  n.name = strings_.intern(name);
  node_by_name_.insert(strings_.str(n.name), slot);
  return slot;
}

void ClusterState::maybe_free_node(Slot slot) {
  NodeRecord& n = nodes_[slot];
  if (n.present || !n.pods.empty()) return;
  node_by_name_.erase(strings_.str(n.name));
  strings_.release(n.name);
  n = NodeRecord{};
  free_nodes_.push_back(slot);
}

void ClusterState::upsert_node(const NodeSpec& spec) {
  Slot slot = node_slot(spec.name, true);
  NodeRecord& n = nodes_[slot];
  n.seen = generation(ObjectKind::kNode);
  Labels labels = intern_labels(spec.labels, strings_);
  bool relabel = !n.present || !same_labels(labels, n.labels);
  if (relabel && n.present) {
    for (Slot p : n.pods)
      contribute(p, -1);
  }
  if (relabel) {
    release_labels(n.labels, strings_);
    n.labels = std::move(labels);
    for (Id key = 0; key < 4; ++key)
      n.topology[key] = label_value(n.labels, key);
  } else {
    release_labels(labels, strings_);
  }
  for (const Taint& t : n.taints) {
    strings_.release(t.key);
    strings_.release(t.value);
  }
  n.taints.clear();
  for (const TaintSpec& t : spec.taints) {
    n.taints.push_back({strings_.intern(t.key), strings_.intern(t.value), taint_effect(t.effect)});
  }
  release_resources(n.allocatable);
  n.allocatable = intern_resources(spec.allocatable);
  set_images(n, spec.images);
  n.unschedulable = spec.unschedulable;
  n.present = true;
  if (relabel) {
    for (Slot p : n.pods)
      contribute(p, +1);
  }
}

void ClusterState::remove_node(std::string_view name) {
  Slot slot = node_slot(name, false);
  if (slot == kNoSlot || !nodes_[slot].present) return;
  NodeRecord& n = nodes_[slot];
  for (Slot p : n.pods)
    contribute(p, -1);
  n.present = false;
  release_labels(n.labels, strings_);
  n.labels.clear();
  std::fill(std::begin(n.topology), std::end(n.topology), kNoId);
  for (const Taint& t : n.taints) {
    strings_.release(t.key);
    strings_.release(t.value);
  }
  n.taints.clear();
  release_resources(n.allocatable);
  n.allocatable = {};
  set_images(n, {});
  n.unschedulable = false;
  maybe_free_node(slot);
}

void ClusterState::set_images(NodeRecord& n, const std::vector<NodeImageSpec>& images) {
  for (const auto& [id, size] : n.images) {
    auto it = images_.find(id);
    if (it != images_.end() && --it->second.nodes == 0) images_.erase(it);
    strings_.release(id);
  }
  n.images.clear();
  for (const NodeImageSpec& image : images) {
    for (const std::string& name : image.names) {
      Id id = strings_.intern(name);
      if (std::any_of(n.images.begin(), n.images.end(), [&](auto& e) { return e.first == id; })) {
        strings_.release(id);
        continue;
      }
      n.images.emplace_back(id, image.size_bytes);
      ImageInfo& info = images_[id];
      ++info.nodes;
      info.size = std::max(info.size, image.size_bytes);
    }
  }
  std::sort(n.images.begin(), n.images.end());
}

ResourceVector ClusterState::intern_resources(const ResourceAmounts& amounts) {
  ResourceVector r;
  r.milli_cpu = amounts.milli_cpu;
  r.memory = amounts.memory;
  r.ephemeral_storage = amounts.ephemeral_storage;
  r.pods = amounts.pods;
  for (const auto& [name, value] : amounts.scalar) {
    r.scalar.emplace_back(strings_.intern(name), value);
  }
  std::sort(r.scalar.begin(), r.scalar.end());
  return r;
}

void ClusterState::release_resources(const ResourceVector& resources) {
  for (const auto& [name, value] : resources.scalar)
    strings_.release(name);
}

// ---------------------------------------------------------------------------------------------
// Namespaces

NamespaceRecord& ClusterState::namespace_for(Id ns) {
  auto [it, inserted] = namespaces_.try_emplace(ns);
  if (inserted) strings_.retain(ns);
  return it->second;
}

void ClusterState::maybe_free_namespace(Id ns) {
  auto it = namespaces_.find(ns);
  if (it == namespaces_.end() || it->second.present || !it->second.pods.empty()) return;
  release_labels(it->second.labels, strings_);
  namespaces_.erase(it);
  strings_.release(ns);
}

void ClusterState::upsert_namespace(std::string_view name, const StringLabels& labels) {
  Id ns = strings_.intern(name);
  NamespaceRecord& record = namespace_for(ns);
  strings_.release(ns);  // namespace_for holds the record's own reference
  release_labels(record.labels, strings_);
  record.labels = intern_labels(labels, strings_);
  record.present = true;
  record.seen = generation(ObjectKind::kNamespace);
}

void ClusterState::remove_namespace(std::string_view name) {
  Id ns = strings_.find(name);
  auto it = namespaces_.find(ns);
  if (it == namespaces_.end() || !it->second.present) return;
  it->second.present = false;
  release_labels(it->second.labels, strings_);
  it->second.labels.clear();
  maybe_free_namespace(ns);
}

// ---------------------------------------------------------------------------------------------
// Pods

void ClusterState::upsert_pod(const PodSpec& spec, bool assumed, kube::SystemTime until) {
  if (spec.uid.empty()) return;
  bool bound = !spec.node_name.empty() && !spec.terminal;
  if (auto it = pod_by_uid_.find(spec.uid); it != pod_by_uid_.end()) {
    // A stale unbound view of a pod we placed ourselves must not undo the placement.
    if (pods_[it->second].assumed && !assumed && !bound && !spec.terminal) return;
    release_pod(it->second);
  }
  if (!bound) return;
  add_pod(spec, node_slot(spec.node_name, true), assumed, until);
}

Slot ClusterState::add_pod(const PodSpec& spec, Slot node, bool assumed, kube::SystemTime until) {
  Slot slot;
  if (!free_pods_.empty()) {
    slot = free_pods_.back();
    free_pods_.pop_back();
  } else {
    slot = static_cast<Slot>(pods_.size());
    pods_.emplace_back();
  }
  PodRecord& p = pods_[slot];
  p = PodRecord{};
  p.uid = spec.uid;
  pod_by_uid_.emplace(std::string_view(p.uid), slot);
  p.seen = generation(ObjectKind::kPod);
  p.ns = strings_.intern(spec.namespace_);
  NamespaceRecord& ns = namespace_for(p.ns);
  p.ns_pos = static_cast<std::uint32_t>(ns.pods.size());
  ns.pods.push_back(slot);

  p.node = node;
  NodeRecord& n = nodes_[node];
  p.node_pos = static_cast<std::uint32_t>(n.pods.size());
  n.pods.push_back(slot);

  p.labels = intern_labels(spec.labels, strings_);
  p.label_pos.reserve(p.labels.size());
  for (const Label& l : p.labels) {
    std::vector<Slot>& list = postings_[pair_key(l.key, l.value)];
    p.label_pos.push_back(static_cast<std::uint32_t>(list.size()));
    list.push_back(slot);
  }

  p.requests = intern_resources(spec.requests.requests);
  p.nonzero_milli_cpu = spec.requests.nonzero_milli_cpu;
  p.nonzero_memory = spec.requests.nonzero_memory;
  n.requested.add(p.requests, +1);
  n.nonzero_milli_cpu += p.nonzero_milli_cpu;
  n.nonzero_memory += p.nonzero_memory;
  p.priority = spec.priority;

  if (!spec.workload_class.empty()) {
    p.workload_class = strings_.intern(spec.workload_class);
    auto it = std::lower_bound(n.classes.begin(), n.classes.end(), p.workload_class,
                               [](const auto& e, Id k) { return e.first < k; });
    if (it != n.classes.end() && it->first == p.workload_class) {
      ++it->second;
    } else {
      n.classes.insert(it, {p.workload_class, 1});
    }
  }
  if (!spec.pod_group.empty()) {
    p.pod_group = strings_.intern(spec.pod_group);
    ++pod_groups_[pair_key(p.ns, p.pod_group)];
  }
  if (spec.has_pod_affinity() && spec.affinity_error.empty()) p.affinity = acquire_spec(spec);
  p.assumed = assumed;
  p.assumed_until = until;
  if (assumed) assumed_.push_back(spec.uid);
  contribute(slot, +1);
  return slot;
}

void ClusterState::release_pod(Slot slot) {
  contribute(slot, -1);
  PodRecord& p = pods_[slot];
  NodeRecord& n = nodes_[p.node];
  n.requested.add(p.requests, -1);
  n.nonzero_milli_cpu -= p.nonzero_milli_cpu;
  n.nonzero_memory -= p.nonzero_memory;
  if (p.workload_class != kNoId) {
    auto it = std::lower_bound(n.classes.begin(), n.classes.end(), p.workload_class,
                               [](const auto& e, Id k) { return e.first < k; });
    if (it != n.classes.end() && it->first == p.workload_class && --it->second == 0) {
      n.classes.erase(it);
    }
    strings_.release(p.workload_class);
  }
  if (p.pod_group != kNoId) {
    auto it = pod_groups_.find(pair_key(p.ns, p.pod_group));
    if (it != pod_groups_.end() && --it->second == 0) pod_groups_.erase(it);
    strings_.release(p.pod_group);
  }
  pods_[n.pods.back()].node_pos = p.node_pos;
  swap_remove(n.pods, p.node_pos);

  NamespaceRecord& ns = namespaces_[p.ns];
  pods_[ns.pods.back()].ns_pos = p.ns_pos;
  swap_remove(ns.pods, p.ns_pos);

  for (std::size_t i = 0; i < p.labels.size(); ++i) {
    const Label& l = p.labels[i];
    auto it = postings_.find(pair_key(l.key, l.value));
    assert(it != postings_.end());
    std::vector<Slot>& list = it->second;
    std::uint32_t pos = p.label_pos[i];
    Slot moved = list.back();
    if (moved != slot) {
      PodRecord& m = pods_[moved];
      auto mi = std::lower_bound(m.labels.begin(), m.labels.end(), l.key,
                                 [](const Label& x, Id k) { return x.key < k; });
      m.label_pos[static_cast<std::size_t>(mi - m.labels.begin())] = pos;
    }
    swap_remove(list, pos);
    if (list.empty()) postings_.erase(it);
  }
  release_labels(p.labels, strings_);
  release_resources(p.requests);
  if (p.affinity != kNoSlot) release_spec(p.affinity);
  if (p.assumed) {
    auto it = std::find(assumed_.begin(), assumed_.end(), p.uid);
    if (it != assumed_.end()) assumed_.erase(it);
  }
  pod_by_uid_.erase(std::string_view(p.uid));
  Slot node = p.node;
  Id ns_id = p.ns;
  p = PodRecord{};
  free_pods_.push_back(slot);
  maybe_free_node(node);
  maybe_free_namespace(ns_id);
  strings_.release(ns_id);
}

void ClusterState::remove_pod(std::string_view uid) {
  auto it = pod_by_uid_.find(uid);
  if (it != pod_by_uid_.end()) release_pod(it->second);
}

void ClusterState::Writer::assume_pod(const PodSpec& pod, std::string_view node,
                                      kube::SystemTime until) {
  if (auto it = s_->pod_by_uid_.find(pod.uid); it != s_->pod_by_uid_.end()) {
    const PodRecord& existing = s_->pods_[it->second];
    if (!existing.assumed) return;  // the watch already reported where it runs
  }
  PodSpec placed = pod;
  placed.node_name = std::string(node);
  s_->upsert_pod(placed, true, until);
}

void ClusterState::forget_assumed(std::string_view uid) {
  auto it = pod_by_uid_.find(uid);
  if (it != pod_by_uid_.end() && pods_[it->second].assumed) release_pod(it->second);
}

std::size_t ClusterState::expire_assumed(kube::SystemTime now) {
  std::vector<std::string> expired;
  for (const std::string& uid : assumed_) {
    auto it = pod_by_uid_.find(uid);
    if (it != pod_by_uid_.end() && pods_[it->second].assumed_until <= now) expired.push_back(uid);
  }
  for (const std::string& uid : expired)
    forget_assumed(uid);
  return expired.size();
}

void ClusterState::contribute(Slot slot, std::int64_t sign) {
  const PodRecord& p = pods_[slot];
  const NodeRecord& n = nodes_[p.node];
  if (!n.present) return;
  view_index_.for_each_candidate(p.labels, [&](std::uint32_t v) {
    CountView& view = *views_[v];
    if (!view.matches(p.ns, p.labels)) return;
    for (std::size_t i = 0; i < view.keys.size(); ++i) {
      Id value = n.label(view.keys[i]);
      if (value != kNoId) view.counts[i].add(value, sign);
    }
  });
  if (p.affinity == kNoSlot) return;
  for (const auto& [g, multiplicity] : specs_[p.affinity].groups) {
    TermGroup& group = groups_[g];
    Id value = n.label(group.topology_key);
    if (value != kNoId) group.counts.add(value, sign * multiplicity);
  }
}

// ---------------------------------------------------------------------------------------------
// Affinity specs and term groups

Slot ClusterState::acquire_spec(const PodSpec& pod) {
  struct Term {
    TermKind kind;
    std::int32_t weight;
    const PodAffinityTermSpec* term;
    std::string signature;
  };
  std::vector<Term> terms;
  auto collect = [&](const std::vector<PodAffinityTermSpec>& list, TermKind kind, bool preferred) {
    for (const PodAffinityTermSpec& t : list) {
      std::int32_t weight = preferred ? t.weight
                            : kind == TermKind::kRequiredAffinity
                                ? options_.hard_pod_affinity_weight
                                : 0;
      if (kind == TermKind::kRequiredAffinity && weight <= 0) continue;
      terms.push_back({kind, weight, &t, group_signature(kind, weight, t, pod.namespace_)});
    }
  };
  collect(pod.required_anti_affinity, TermKind::kRequiredAntiAffinity, false);
  collect(pod.required_affinity, TermKind::kRequiredAffinity, false);
  collect(pod.preferred_affinity, TermKind::kPreferredAffinity, true);
  collect(pod.preferred_anti_affinity, TermKind::kPreferredAntiAffinity, true);
  if (terms.empty()) return kNoSlot;
  std::sort(terms.begin(), terms.end(),
            [](const Term& a, const Term& b) { return a.signature < b.signature; });
  std::string signature;
  for (const Term& t : terms) {
    signature += t.signature;
    signature += '\n';
  }
  if (auto it = spec_by_signature_.find(signature); it != spec_by_signature_.end()) {
    ++specs_[it->second].refs;
    return it->second;
  }
  Slot slot;
  if (!free_specs_.empty()) {
    slot = free_specs_.back();
    free_specs_.pop_back();
  } else {
    slot = static_cast<Slot>(specs_.size());
    specs_.emplace_back();
  }
  AffinitySpec& spec = specs_[slot];
  spec = AffinitySpec{};
  for (const Term& t : terms) {
    Slot g = acquire_group(t.kind, t.weight, *t.term, pod.namespace_);
    if (!spec.groups.empty() && spec.groups.back().first == g) {
      ++spec.groups.back().second;
      release_group(g);  // one reference per spec, counted by multiplicity
    } else {
      spec.groups.emplace_back(g, 1);
    }
  }
  spec.refs = 1;
  spec.signature = signature;
  spec_by_signature_.emplace(std::move(signature), slot);
  return slot;
}

void ClusterState::release_spec(Slot slot) {
  AffinitySpec& spec = specs_[slot];
  if (--spec.refs > 0) return;
  for (const auto& [g, multiplicity] : spec.groups)
    release_group(g);
  spec_by_signature_.erase(spec.signature);
  spec = AffinitySpec{};
  free_specs_.push_back(slot);
}

Slot ClusterState::acquire_group(TermKind kind, std::int32_t weight,
                                 const PodAffinityTermSpec& term,
                                 const std::string& pod_namespace) {
  std::string signature = group_signature(kind, weight, term, pod_namespace);
  if (auto it = group_by_signature_.find(signature); it != group_by_signature_.end()) {
    ++groups_[it->second].refs;
    return it->second;
  }
  Slot slot;
  if (!free_groups_.empty()) {
    slot = free_groups_.back();
    free_groups_.pop_back();
  } else {
    slot = static_cast<Slot>(groups_.size());
    groups_.emplace_back();
  }
  TermGroup& g = groups_[slot];
  g = TermGroup{};
  g.kind = kind;
  g.weight = weight;
  if (term.namespaces.empty() && !term.namespace_selector) {
    g.namespaces.names.push_back(strings_.intern(pod_namespace));
  } else {
    for (const std::string& n : term.namespaces)
      g.namespaces.names.push_back(strings_.intern(n));
    std::sort(g.namespaces.names.begin(), g.namespaces.names.end());
  }
  if (term.namespace_selector) {
    g.namespaces.has_selector = true;
    g.namespaces.all = term.namespace_selector->empty();
    g.namespaces.selector = CompiledSelector::interned(*term.namespace_selector, strings_);
  }
  g.selector = CompiledSelector::interned(term.selector, strings_);
  g.topology_key = strings_.intern(term.topology_key);
  g.refs = 1;
  g.signature = signature;
  group_by_signature_.emplace(std::move(signature), slot);
  group_index_.add(slot, g.selector);
  return slot;
}

void ClusterState::release_group(Slot slot) {
  TermGroup& g = groups_[slot];
  if (--g.refs > 0) return;
  group_index_.remove(slot, g.selector);
  for (Id n : g.namespaces.names)
    strings_.release(n);
  g.namespaces.selector.release(strings_);
  g.selector.release(strings_);
  strings_.release(g.topology_key);
  group_by_signature_.erase(g.signature);
  g = TermGroup{};
  free_groups_.push_back(slot);
}

// ---------------------------------------------------------------------------------------------
// Count views

template <typename F>
void ClusterState::for_each_pod_in_clause(const ViewClause& clause, F&& f) const {
  const CompiledSelector::Requirement* anchor = clause.selector.anchor();
  if (anchor != nullptr && !anchor->values.empty()) {
    for (Id v : anchor->values) {
      if (v == kNoId) continue;
      auto it = postings_.find(pair_key(anchor->key, v));
      if (it == postings_.end()) continue;
      for (Slot p : it->second)
        f(p);
    }
  } else if (!clause.all_namespaces) {
    for (Id ns : clause.namespaces) {
      auto it = namespaces_.find(ns);
      if (it == namespaces_.end()) continue;
      for (Slot p : it->second.pods)
        f(p);
    }
  } else {
    for (Slot p = 0; p < pods_.size(); ++p) {
      if (pods_[p].live()) f(p);
    }
  }
}

void ClusterState::choose_anchor_clause(CountView& view) {
  for (std::size_t i = 0; i < view.clauses.size(); ++i) {
    if (view.clauses[i].selector.anchor() != nullptr) {
      view.anchor_clause = i;
      return;
    }
  }
}

void ClusterState::fill_view(CountView& view) const {
  if (view.clauses.empty()) return;
  for (const ViewClause& c : view.clauses) {
    if (c.selector.is_nothing()) return;
  }
  for_each_pod_in_clause(view.clauses[view.anchor_clause], [&](Slot slot) {
    const PodRecord& p = pods_[slot];
    const NodeRecord& n = nodes_[p.node];
    if (!n.present || !view.matches(p.ns, p.labels)) return;
    for (std::size_t i = 0; i < view.keys.size(); ++i) {
      Id value = n.label(view.keys[i]);
      if (value != kNoId) view.counts[i].add(value, 1);
    }
  });
}

void ClusterState::ensure_views(std::span<const ViewKey> keys) {
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    bool missing = false;
    for (const ViewKey& k : keys) {
      if (!view_by_signature_.count(k.signature)) {
        missing = true;
        break;
      }
    }
    if (!missing) return;
  }
  std::unique_lock<std::shared_mutex> lock(mu_);
  std::size_t created = 0;
  for (const ViewKey& key : keys) {
    if (view_by_signature_.count(key.signature)) continue;
    auto view = std::make_unique<CountView>();
    view->signature = key.signature;
    view->interned = true;
    for (const ViewClauseKey& c : key.clauses) {
      ViewClause clause;
      clause.all_namespaces = c.all_namespaces;
      for (const std::string& n : c.namespaces)
        clause.namespaces.push_back(strings_.intern(n));
      std::sort(clause.namespaces.begin(), clause.namespaces.end());
      clause.selector = CompiledSelector::interned(c.selector, strings_);
      view->clauses.push_back(std::move(clause));
    }
    choose_anchor_clause(*view);
    for (const std::string& k : key.keys)
      view->keys.push_back(strings_.intern(k));
    view->counts.resize(view->keys.size());
    fill_view(*view);
    view->last_used.store(++view_clock_, std::memory_order_relaxed);
    Slot slot;
    if (!free_views_.empty()) {
      slot = free_views_.back();
      free_views_.pop_back();
    } else {
      slot = static_cast<Slot>(views_.size());
      views_.emplace_back();
    }
    if (!view->clauses.empty()) view_index_.add(slot, view->clauses[view->anchor_clause].selector);
    view_by_signature_.emplace(view->signature, slot);
    views_[slot] = std::move(view);
    ++created;
  }
  evict_views_locked(created);
}

void ClusterState::evict_views_locked(std::size_t keep_newest) {
  while (view_by_signature_.size() > std::max(options_.max_views, keep_newest)) {
    Slot oldest = kNoSlot;
    std::uint64_t oldest_use = UINT64_MAX;
    for (Slot s = 0; s < views_.size(); ++s) {
      if (!views_[s]) continue;
      std::uint64_t used = views_[s]->last_used.load(std::memory_order_relaxed);
      if (used < oldest_use) {
        oldest_use = used;
        oldest = s;
      }
    }
    if (oldest == kNoSlot) return;
    remove_view(oldest);
  }
}

void ClusterState::remove_view(Slot slot) {
  CountView& view = *views_[slot];
  if (!view.clauses.empty()) view_index_.remove(slot, view.clauses[view.anchor_clause].selector);
  for (const ViewClause& c : view.clauses) {
    for (Id n : c.namespaces)
      strings_.release(n);
    c.selector.release(strings_);
  }
  for (Id k : view.keys)
    strings_.release(k);
  view_by_signature_.erase(view.signature);
  views_[slot].reset();
  free_views_.push_back(slot);
}

// ---------------------------------------------------------------------------------------------
// Volumes

void ClusterState::upsert_claim(PvcSpec claim) {
  std::string key = claim.namespace_ + "/" + claim.name;
  claims_[key] = {std::move(claim), generation(ObjectKind::kPersistentVolumeClaim)};
}

void ClusterState::remove_claim(std::string_view namespace_, std::string_view name) {
  std::string key(namespace_);
  key += '/';
  key += name;
  if (auto it = claims_.find(key); it != claims_.end()) claims_.erase(it);
}

void ClusterState::upsert_volume(PvSpec volume) {
  std::string key = volume.name;
  volumes_[key] = {std::move(volume), generation(ObjectKind::kPersistentVolume)};
}

void ClusterState::remove_volume(std::string_view name) {
  if (auto it = volumes_.find(name); it != volumes_.end()) volumes_.erase(it);
}

void ClusterState::upsert_storage_class(StorageClassSpec sc) {
  std::string key = sc.name;
  storage_classes_[key] = {std::move(sc), generation(ObjectKind::kStorageClass)};
}

void ClusterState::remove_storage_class(std::string_view name) {
  if (auto it = storage_classes_.find(name); it != storage_classes_.end()) {
    storage_classes_.erase(it);
  }
}

// ---------------------------------------------------------------------------------------------
// Relists and status

void ClusterState::begin_relist(ObjectKind kind) {
  ++generations_[static_cast<std::size_t>(kind)];
}

void ClusterState::end_relist(ObjectKind kind) {
  std::uint32_t gen = generation(kind);
  switch (kind) {
    case ObjectKind::kPod: {
      std::vector<Slot> stale;
      for (Slot s = 0; s < pods_.size(); ++s) {
        const PodRecord& p = pods_[s];
        if (p.live() && !p.assumed && p.seen != gen) stale.push_back(s);
      }
      for (Slot s : stale)
        release_pod(s);
      break;
    }
    case ObjectKind::kNode: {
      std::vector<std::string> stale;
      for (const NodeRecord& n : nodes_) {
        if (n.present && n.seen != gen) stale.emplace_back(strings_.str(n.name));
      }
      for (const std::string& name : stale)
        remove_node(name);
      break;
    }
    case ObjectKind::kNamespace: {
      std::vector<std::string> stale;
      for (const auto& [id, record] : namespaces_) {
        if (record.present && record.seen != gen) stale.emplace_back(strings_.str(id));
      }
      for (const std::string& name : stale)
        remove_namespace(name);
      break;
    }
    case ObjectKind::kPersistentVolumeClaim:
      std::erase_if(claims_, [&](const auto& e) { return e.second.seen != gen; });
      break;
    case ObjectKind::kPersistentVolume:
      std::erase_if(volumes_, [&](const auto& e) { return e.second.seen != gen; });
      break;
    case ObjectKind::kStorageClass:
      std::erase_if(storage_classes_, [&](const auto& e) { return e.second.seen != gen; });
      break;
  }
  mark_synced(kind);
}

void ClusterState::mark_synced(ObjectKind kind) {
  synced_mask_.fetch_or(1u << static_cast<unsigned>(kind));
}

bool ClusterState::synced(ObjectKind kind) const {
  return (synced_mask_.load() & (1u << static_cast<unsigned>(kind))) != 0;
}

ClusterStats ClusterState::stats() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  ClusterStats s;
  s.pods = pod_by_uid_.size();
  for (const NodeRecord& n : nodes_)
    s.nodes += n.present ? 1 : 0;
  for (const auto& [id, ns] : namespaces_)
    s.namespaces += ns.present ? 1 : 0;
  s.claims = claims_.size();
  s.volumes = volumes_.size();
  s.storage_classes = storage_classes_.size();
  s.views = view_by_signature_.size();
  s.term_groups = group_by_signature_.size();
  s.affinity_specs = spec_by_signature_.size();
  s.strings = strings_.size();
  s.assumed_pods = assumed_.size();
  return s;
}

}  // namespace berth::extender
