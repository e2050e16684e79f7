// The meta.k8s.io Table representation (server-side printing): what `kubectl get` asks for with
// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`. Lists, single objects and watches
// (one row per event; only the first event of a stream carries columnDefinitions) are rendered
// with the printer of the resource (sim/apiserver/printers.h). `includeObject` picks what each
// row's `object` holds: Metadata (default, a PartialObjectMetadata), Object (the whole object)
// or None (null).
#pragma once

#include <memory>

#include "sim/apiserver/representation.h"

namespace berth::sim {

std::shared_ptr<Representation> table_representation();

}  // namespace berth::sim
