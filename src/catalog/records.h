// Plain records stored in the catalog (ARCHITECTURE.md §4).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/text/json.h"

namespace citadel::catalog {

struct ArtifactRecord {
  std::string id;          // "sha256:…" of the canonical manifest
  std::string kind;        // dataset | model | report | predictions | source | …
  std::string name;        // human label, e.g. "digits/train.model"
  std::string media_type;  // e.g. "application/vnd.citadel.model.v1"
  uint64_t size = 0;       // total bytes of its files
  std::optional<std::string> created_by_run;
  std::string created_at;
  Json metadata = Json::object();
};

struct ArtifactFileRecord {
  std::string artifact_id;
  std::string path;
  std::string blob;  // "sha256:…"
  uint64_t size = 0;
};

enum class RunStatus { kQueued, kRunning, kSucceeded, kFailed, kCancelled };
std::string_view RunStatusName(RunStatus status);
std::optional<RunStatus> RunStatusFromName(std::string_view name);

struct RunRecord {
  std::string id;  // UUIDv7
  std::string pipeline;
  std::string step;
  std::string kind;
  RunStatus status = RunStatus::kQueued;
  Json spec = Json::object();
  std::string spec_digest;
  std::string cache_key;
  std::optional<std::string> cached_from;  // the run whose outputs this one reused
  std::optional<int64_t> seed;
  Json env = Json::object();
  std::string started_at;
  std::optional<std::string> finished_at;
  std::string message;  // error text for failed runs
};

struct RunEdge {
  std::string run_id;
  std::string artifact_id;
  std::string role;
};

struct MetricPoint {
  std::string key;
  int64_t step = 0;
  double value = 0;
  int64_t time_ms = 0;
};

// An OMS signature bundle over an artifact's files (provenance/
// model_signature.h), one per signer.
struct SignatureRecord {
  std::string artifact_id;
  std::string signer;  // "key sha256:HINT"
  std::string bundle;  // the bundle JSON
  std::string created_at;
};

// A signed in-toto attestation about a run (provenance/signed_statement.h):
// its SLSA provenance, one per predicate type.
struct AttestationRecord {
  std::string run_id;
  std::string predicate_type;  // "https://slsa.dev/provenance/v1"
  std::string signer;
  std::string bundle;  // the Sigstore bundle JSON
  std::string created_at;
};

// One revision of an endpoint's deployment: which model versions answer it
// and how (the spec's shape belongs to src/serve: serve/deployment_spec.h).
// Revisions are never rewritten; the highest is current. An empty spec
// (`{}`) means the endpoint was removed.
struct DeploymentRecord {
  std::string endpoint;
  int64_t revision = 0;
  Json spec = Json::object();
  std::string reason;      // "citadel deploy", "rollout: advance 5 → 25 %"
  std::string created_by;  // "cli", "rollout"
  std::string created_at;
};

// Something a server did about an endpoint: loaded or refused a model
// version, a rollout decision with its numbers.
struct DeploymentEvent {
  int64_t id = 0;
  std::string endpoint;
  std::string kind;  // "load", "refuse", "unload", "rollout"
  Json detail = Json::object();
  std::string created_at;
};

// An API token of the inference server: only the hash of its secret is
// kept (serve/request_guards.h makes and hashes them).
struct TokenRecord {
  std::string id;                // short id shown in listings
  std::string name;              // unique label, e.g. "web-frontend"
  std::string hash;              // "sha256:…" of the secret
  Json limits = Json::object();  // rate / budget overrides
  std::string created_at;
  std::optional<std::string> revoked_at;
};

struct ModelVersion {
  std::string model;
  int64_t version = 0;
  std::string artifact_id;
  std::optional<std::string> created_by_run;
  std::string created_at;
  std::vector<std::string> aliases;
};

enum class LineageDirection { kUp, kDown, kBoth };

struct LineageEdge {
  std::string from;  // artifact id → run id (input), or run id → artifact id (output)
  std::string to;
  std::string role;
};

struct LineageGraph {
  std::vector<ArtifactRecord> artifacts;
  std::vector<RunRecord> runs;
  std::vector<LineageEdge> edges;
};

}  // namespace citadel::catalog
