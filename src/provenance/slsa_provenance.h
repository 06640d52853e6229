// SLSA Provenance v1 (https://slsa.dev/provenance/v1) of one run, as the
// predicate of an in-toto Statement v1: the run's outputs are the
// statement's subjects; buildDefinition holds the step spec as
// externalParameters and every input, plus the executable that ran the
// step, as resolvedDependencies with their digests; runDetails names the
// builder, the invocation (the run id) and its start and finish times.
// Signed and opened with signed_statement.h.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"

namespace citadel::provenance {

inline constexpr std::string_view kSlsaPredicateType = "https://slsa.dev/provenance/v1";
// What a Citadel run's externalParameters mean: {pipeline, step, kind, spec}.
inline constexpr std::string_view kCitadelBuildType = "https://citadel.dev/provenance/run/v1";
inline constexpr std::string_view kCitadelBuilderId = "https://citadel.dev/builder/local/v1";

// An in-toto ResourceDescriptor with a SHA-256 digest (hex).
struct ResourceDescriptor {
  std::string name;
  std::string uri;  // optional
  std::string sha256;
  Json annotations = Json::object();
};

struct RunProvenance {
  std::vector<ResourceDescriptor> subjects;  // what the run produced (at least one)
  std::string build_type = std::string(kCitadelBuildType);
  Json external_parameters = Json::object();
  Json internal_parameters = Json::object();
  std::vector<ResourceDescriptor> dependencies;
  std::string builder_id = std::string(kCitadelBuilderId);
  Json builder_version = Json::object();  // {component: version}
  std::string invocation_id;              // the run id
  std::string started_on, finished_on;    // RFC 3339
};

// The in-toto Statement carrying `provenance`.
Json ProvenanceStatement(const RunProvenance& provenance);

// Reads a statement back. InvalidArgument naming the field that is missing,
// of the wrong type, or not a SHA-256 digest, or a predicate type that is
// not SLSA Provenance v1.
Result<RunProvenance> ParseProvenanceStatement(const Json& statement);

}  // namespace citadel::provenance
