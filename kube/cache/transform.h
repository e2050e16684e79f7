// Transforms applied to every object before an Informer caches it and hands it to handlers:
// the place to drop bulk nobody reads, since a cache holds every object of its kind.
#pragma once

#include <functional>

#include "kube/api/object.h"

namespace kube {

// Returns the object to cache (the same Object when nothing needs to change). Runs on the watch
// thread for every event, so it should be cheap; it must not throw.
using Transform = std::function<Object(Object object)>;

// What informers use unless told otherwise: drops metadata.managedFields (server-side apply
// bookkeeping, often a third of an object) and the
// kubectl.kubernetes.io/last-applied-configuration annotation (a second copy of the object as
// JSON text). Objects carrying neither are returned untouched, without a copy.
Object strip_bulk(Object object);

}  // namespace kube
