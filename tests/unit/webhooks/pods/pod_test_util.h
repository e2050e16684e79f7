// Pods as JSON text for the mutator and validator tests: the shape kube-apiserver sends (every
// default applied, service-account volume mounted), with the annotations and containers a test
// needs.
#pragma once

#include <string>

namespace berth::webhooks::testing {

// A container object; `extra` is appended inside it (",\"securityContext\":{...}").
std::string container(const std::string& name, const std::string& image,
                      const std::string& extra = "");

// A pod in namespace "app". `annotations` is the inside of the annotations object
// ("\"berth.dev/log-sidecar\":\"true\""; empty = no annotations member at all), `containers`
// the inside of spec.containers, `spec_extra` more spec members (",\"hostNetwork\":true").
std::string pod(const std::string& annotations = "",
                const std::string& containers = container("app", "nginx:1.25"),
                const std::string& spec_extra = "", const std::string& metadata_extra = "");

}  // namespace berth::webhooks::testing
