// The metadata catalog: artifacts, runs and their lineage edges, metrics and
// the model registry, in SQLite (WAL). ARCHITECTURE.md §4 is the data model.
//
// A Catalog object owns one connection and is not thread-safe; open one per
// thread. Several processes may share one catalog file.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "catalog/records.h"
#include "catalog/sqlite.h"
#include "store/manifest.h"

namespace citadel::catalog {

class Catalog {
 public:
  // Opens or creates the catalog and applies pending migrations.
  static Result<std::unique_ptr<Catalog>> Open(const std::filesystem::path& path);

  // ---- artifacts (artifacts.cc)
  // Records the artifact and its files. Idempotent: an artifact already
  // present (same id = same content) keeps its first record.
  Status PutArtifact(const ArtifactRecord& record, const store::Manifest& manifest);
  Result<ArtifactRecord> GetArtifact(const std::string& id);
  Result<std::vector<ArtifactRecord>> ListArtifacts(const std::string& kind_filter = "");
  // Ids starting with `prefix` ("sha256:" optional), at most `limit`.
  Result<std::vector<std::string>> ArtifactIdsWithPrefix(std::string prefix, int limit = 2);
  // The artifact a name refers to now. Names of step outputs
  // ("pipeline/step.role") follow the newest succeeded run of that step,
  // cached runs included, so they always mean what the last run produced;
  // other names (source files) fall back to the newest artifact record.
  Result<std::optional<std::string>> LatestArtifactNamed(const std::string& name);
  Result<std::vector<ArtifactFileRecord>> ListArtifactFiles();
  // Removes an artifact that nothing depends on — no run took it as input,
  // no model version points at it — with its file rows and output edges
  // (pruned checkpoints). Returns the file blobs that no other artifact
  // lists, which the caller may delete, or nullopt (and removes nothing)
  // when the artifact is in use.
  Result<std::optional<std::vector<std::string>>> DeleteUnusedArtifact(const std::string& id);

  // ---- runs (runs.cc)
  // Signatures (signatures.cc): one bundle per artifact and signer; a new
  // one from the same signer replaces the old.
  Status PutSignature(const SignatureRecord& signature);
  Result<std::vector<SignatureRecord>> Signatures(const std::string& artifact_id);
  // Attestations of runs (signatures.cc): one per run and predicate type.
  Status PutAttestation(const AttestationRecord& attestation);
  Result<std::optional<AttestationRecord>> Attestation(const std::string& run_id,
                                                       std::string_view predicate_type);

  Status CreateRun(const RunRecord& run);
  // A finished run and all its edges in one transaction (cached runs): a
  // crash never leaves a "succeeded" run without its outputs.
  Status CreateRunWithEdges(const RunRecord& run, const std::vector<RunEdge>& inputs,
                            const std::vector<RunEdge>& outputs);
  Status FinishRun(const std::string& id, RunStatus status, const std::string& message);
  Status AddRunInput(const std::string& run_id, const std::string& artifact_id,
                     const std::string& role);
  Status AddRunOutput(const std::string& run_id, const std::string& artifact_id,
                      const std::string& role);
  Result<RunRecord> GetRun(const std::string& id);
  // Full id for a unique prefix; NotFound / InvalidArgument (ambiguous).
  Result<std::string> ResolveRunId(const std::string& prefix);
  Result<std::vector<RunRecord>> ListRuns(int limit = 100);
  Result<std::vector<RunRecord>> RunsWithStatus(RunStatus status);
  Result<std::vector<RunEdge>> RunInputs(const std::string& run_id);
  Result<std::vector<RunEdge>> RunOutputs(const std::string& run_id);
  // The original (non-cached) succeeded run with this cache key, if any.
  Result<std::optional<RunRecord>> FindCachedRun(const std::string& cache_key);
  // The runs that reused the outputs of `run_id` (cache hits), oldest first.
  Result<std::vector<RunRecord>> RunsCachedFrom(const std::string& run_id);
  // Runs with this cache key that ended without succeeding (failed or
  // cancelled), newest first: the candidates for resuming a train step.
  Result<std::vector<RunRecord>> UnfinishedRuns(const std::string& cache_key);
  // Runs left `running` by a process that died (e.g. SIGKILL) → failed.
  Status MarkAbandonedRuns(const std::vector<std::string>& run_ids, const std::string& message);

  // ---- metrics (runs.cc)
  // All points in one transaction (one fsync for a whole batch).
  // InvalidArgument, and nothing written, when a value is NaN or infinite.
  Status AddMetrics(const std::string& run_id, const std::vector<MetricPoint>& points);
  Result<std::vector<MetricPoint>> Metrics(const std::string& run_id);
  // Last value of each key (highest step).
  Result<std::map<std::string, double>> LastMetrics(const std::string& run_id);

  // ---- model registry (models.cc)
  // Idempotent: the same artifact under the same name keeps its version.
  Result<ModelVersion> RegisterModelVersion(const std::string& name, const std::string& artifact_id,
                                            const std::optional<std::string>& run_id);
  Status SetAlias(const std::string& name, const std::string& alias, int64_t version);
  Result<std::vector<ModelVersion>> ListModelVersions(const std::string& name = "");
  // `version` 0 = latest; `alias` non-empty wins over version.
  Result<ModelVersion> ResolveModel(const std::string& name, int64_t version,
                                    const std::string& alias);

  // ---- deployments and tokens (deployments.cc)
  // Appends the next revision of record.endpoint and returns it. With
  // `expected_current` (the revision the caller decided from; 0 = none yet)
  // it is a compare-and-set: FailedPrecondition, nothing written, when
  // another writer got there first.
  Result<int64_t> PutDeployment(const DeploymentRecord& record,
                                std::optional<int64_t> expected_current = std::nullopt);
  // The current revision of every endpoint that is deployed (removed ones
  // left out), by endpoint name.
  Result<std::vector<DeploymentRecord>> CurrentDeployments();
  Result<std::optional<DeploymentRecord>> CurrentDeployment(const std::string& endpoint);
  // Every revision of `endpoint`, oldest first.
  Result<std::vector<DeploymentRecord>> DeploymentHistory(const std::string& endpoint);
  Status AddDeploymentEvent(const DeploymentEvent& event);
  // The newest `limit` events of `endpoint` ("" = all endpoints), oldest first.
  Result<std::vector<DeploymentEvent>> DeploymentEvents(const std::string& endpoint,
                                                        int limit = 100);
  // AlreadyExists when the name is taken.
  Status PutToken(const TokenRecord& token);
  Result<std::vector<TokenRecord>> ListTokens();
  // Revokes by id or name; NotFound when neither matches a live token.
  Status RevokeToken(const std::string& id_or_name);
  // Changes whenever another connection commits to the catalog (SQLite's
  // data_version): a server polls it to notice deployments and tokens
  // written by the CLI, at the cost of one pragma.
  Result<int64_t> DataVersion();

  // ---- lineage (lineage.cc)
  // Recursive walk over run_input / run_output from `artifact_id`. Runs that
  // merely reused cached outputs are left out: lineage names the run that
  // actually produced each artifact.
  Result<LineageGraph> Lineage(const std::string& artifact_id, LineageDirection direction);

  SqliteDb& db() { return *db_; }

 private:
  explicit Catalog(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
  Status AddEdge(std::string_view table, const std::string& run_id, const std::string& artifact_id,
                 const std::string& role);
  Result<std::vector<RunEdge>> Edges(std::string_view table, const std::string& run_id);

  std::unique_ptr<SqliteDb> db_;
};

}  // namespace citadel::catalog
