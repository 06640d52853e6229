// One StepRunner per step kind (process, train, evaluate, predict, register).
//
// Plan() validates a step's fields before anything in the pipeline runs and
// names its inputs; Execute() does the work through a StepContext, which
// hands out verified inputs and records outputs and metrics on the run.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/text/spec_reader.h"
#include "store/artifact_files.h"
#include "store/manifest.h"
#include "workload/artifact_access.h"
#include "workload/run_recorder.h"
#include "workload/workspace.h"

namespace citadel::workload {

struct StepPlan {
  struct ArtifactInput {
    std::string role;
    std::string ref;    // "prepare.train", "sha256:…", "digits@production" …
    std::string field;  // spec field holding the ref, for error messages
  };
  struct FileInput {
    std::string role;
    std::filesystem::path path;  // absolute
    std::string field;
  };
  std::vector<ArtifactInput> artifacts;
  std::vector<FileInput> files;  // stored as `source` artifacts before running
  std::optional<int64_t> seed;
  int threads = 1;
  // The step trains or predicts: the torch runtime is loaded before it runs
  // (and described in the run's environment); other steps never load it.
  bool uses_ml = false;
  // Spec fields that do not change what the step produces (a train step's
  // checkpoint settings): left out of the cache key.
  std::vector<std::string> cache_ignores;
};

// Whether a step that can continue an interrupted run (train) does so.
struct ResumeOptions {
  bool enabled = true;                // false: `citadel run --force` starts over
  std::optional<std::string> run_id;  // `citadel runs resume RUN_ID`: only that run
};

class StepContext {
 public:
  StepContext(Workspace& ws, RunRecorder& run, const SpecReader& spec,
              const std::filesystem::path& spec_dir, std::string pipeline, std::string step,
              std::map<std::string, LoadedArtifact> inputs)
      : ws_(ws),
        run_(run),
        spec_(spec),
        spec_dir_(spec_dir),
        pipeline_(std::move(pipeline)),
        step_(std::move(step)),
        inputs_(std::move(inputs)) {}

  Workspace& workspace() { return ws_; }
  const SpecReader& spec() const { return spec_; }
  const std::filesystem::path& spec_dir() const { return spec_dir_; }
  const std::string& run_id() const { return run_.run_id(); }
  // digest(step spec, input artifact ids, Citadel version): runs with the
  // same key did the same work.
  const std::string& cache_key() const { return cache_key_; }
  void set_cache_key(std::string key) { cache_key_ = std::move(key); }
  const ResumeOptions& resume() const { return resume_; }
  void set_resume(ResumeOptions resume) { resume_ = std::move(resume); }
  // `citadel run --workers N`: processes a train step trains with.
  int workers() const { return workers_; }
  void set_workers(int workers) { workers_ = workers; }
  // Records an extra input found while running (the checkpoint a train step
  // resumed from), so lineage shows it.
  Status AddInput(const std::string& role, const std::string& artifact_id) {
    return run_.AddInput(role, artifact_id);
  }
  // runs/<id>/: reports a failed step leaves for the user go here.
  std::filesystem::path run_dir() const { return run_.dir(); }
  // Scratch space for this run (runs/<id>/work/<name>), created empty.
  Result<std::filesystem::path> ScratchDir(const std::string& name);

  Result<const LoadedArtifact*> Input(const std::string& role) const;

  // Stores `dir` as artifact "<pipeline>/<step>.<role>" and records it as an
  // output of the run.
  Result<std::string> AddOutputDir(const std::string& role, const std::filesystem::path& dir,
                                   const std::string& kind, std::string_view media_type,
                                   Json metadata = Json::object());
  // The same for files built in memory (bytes, or a producer that streams
  // them): no scratch copy to write and read back.
  struct InMemoryOutput {
    std::string role;
    std::vector<store::ArtifactFile> files;
    std::string kind;
    std::string_view media_type;
    Json metadata = Json::object();
  };
  Result<std::string> AddOutputFiles(InMemoryOutput output);
  // Several at once: their blobs are hashed and written in parallel, then
  // recorded in order. Returns the artifact ids in the same order.
  Result<std::vector<std::string>> AddOutputFiles(std::vector<InMemoryOutput> outputs);
  // Records an output whose blobs and manifest are already stored (e.g. by
  // a background writer). Returns the artifact id.
  Result<std::string> RecordStoredOutput(const std::string& role, const store::Manifest& manifest,
                                         const std::string& kind, std::string_view media_type,
                                         Json metadata = Json::object());
  // Per-epoch / per-step series.
  Status AddMetric(const std::string& key, int64_t step, double value) {
    return run_.AddMetric(key, step, value);
  }
  // Headline numbers of the step, shown in the run summary (also recorded as
  // metrics at step 0).
  Status AddSummaryMetric(const std::string& key, double value);

  const std::map<std::string, std::string>& outputs() const { return outputs_; }
  const std::map<std::string, double>& summary() const { return summary_; }

 private:
  NewArtifact OutputInfo(const std::string& role, const std::string& kind,
                         std::string_view media_type, Json& metadata) const;
  Result<std::string> RecordOutput(const std::string& role, const std::string& id);

  Workspace& ws_;
  RunRecorder& run_;
  const SpecReader& spec_;
  std::filesystem::path spec_dir_;
  std::string pipeline_;
  std::string step_;
  std::map<std::string, LoadedArtifact> inputs_;
  std::map<std::string, std::string> outputs_;  // role → artifact id
  std::string cache_key_;
  ResumeOptions resume_;
  int workers_ = 1;
  std::map<std::string, double> summary_;
};

class StepRunner {
 public:
  virtual ~StepRunner() = default;
  virtual Result<StepPlan> Plan(const SpecReader& step,
                                const std::filesystem::path& spec_dir) const = 0;
  virtual Status Execute(StepContext& ctx) const = 0;
};

// nullptr for an unknown kind.
const StepRunner* FindStepRunner(std::string_view kind);
std::vector<std::string_view> StepKinds();

}  // namespace citadel::workload
