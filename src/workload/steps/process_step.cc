// kind: process — ingest, clean, validate, profile, split, fitted transforms
// → one dataset artifact per split, plus a report artifact (`profile`) with
// the input profile, PII findings and validation results.
#include <fmt/format.h>

#include <future>

#include "base/logging.h"
#include "base/memory/huge_pages.h"
#include "base/system/files.h"
#include "base/time.h"
#include "data/dataset_prep.h"
#include "store/artifact_files.h"
#include "workload/steps/steps.h"

namespace citadel::workload::steps {
namespace {

constexpr std::string_view kSourceRole = "source";
constexpr std::string_view kLabelsRole = "source_labels";  // IDX labels file
constexpr std::string_view kProfileRole = "profile";

// Plan() only validates the spec; it has no workspace, so op: hash is built
// with this stand-in key, which never touches data.
constexpr std::string_view kPlanOnlyKey = "plan-only: the workspace key is used to run";

// Replaces every occurrence of `from` in `text`.
std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  if (from.empty()) return text;
  for (size_t pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

// `text` as it appears inside a JSON string.
std::string JsonEscaped(const std::string& text) {
  std::string quoted = Json(text).dump();
  return quoted.substr(1, quoted.size() - 2);
}

// Writes the reports that exist into `dir`; returns how many were written.
Result<int> WriteReports(const data::PrepareReports& reports, const std::filesystem::path& dir) {
  int written = 0;
  RETURN_IF_ERROR(CreateDirectories(dir));
  for (const auto& [name, value] :
       {std::pair<const char*, const Json*>{"profile.json", &reports.profile},
        {"validation.json", &reports.validation},
        {"pii.json", &reports.pii}}) {
    if (value->is_null()) continue;
    RETURN_IF_ERROR(WriteFileAtomic(dir / name, PrettyJson(*value)));
    ++written;
  }
  return written;
}

class ProcessStep : public StepRunner {
 public:
  Result<StepPlan> Plan(const SpecReader& step,
                        const std::filesystem::path& spec_dir) const override {
    data::TransformEnv env{.pii_hmac_key = std::string(kPlanOnlyKey)};
    ASSIGN_OR_RETURN(data::ProcessSpec spec, data::ParseProcessSpec(step, spec_dir, {}, env));
    StepPlan plan;
    plan.files.push_back({std::string(kSourceRole), spec.input.path, "input"});
    if (!spec.input.idx_labels.empty()) {
      plan.files.push_back({std::string(kLabelsRole), spec.input.idx_labels, "input/idx/labels"});
    }
    if (!spec.split.fractions.empty()) plan.seed = static_cast<int64_t>(spec.split.seed);
    return plan;
  }

  Status Execute(StepContext& ctx) const override {
    // Parsing, each transform and the export free and allocate column-sized
    // buffers stage after stage: reusing them spares the page faults.
    LargeBlockRetention retain_freed_columns;
    data::TransformEnv env;
    ASSIGN_OR_RETURN(env.pii_hmac_key, ctx.workspace().PiiHmacKey());
    ASSIGN_OR_RETURN(data::ProcessSpec spec,
                     data::ParseProcessSpec(ctx.spec(), ctx.spec_dir(), {}, env));
    // Read the recorded source artifacts, not the user's files: the dataset
    // must derive from exactly the bytes whose digests the run records, even
    // if a file changes meanwhile.
    std::vector<std::pair<std::string, std::string>> renames;  // blob path → user path
    std::vector<crypto::Sha256Digest> blobs;
    ASSIGN_OR_RETURN(std::filesystem::path source, InputBlob(ctx, kSourceRole, blobs));
    renames.emplace_back(source.string(), spec.input.path.string());
    spec.input.path = source;
    if (!spec.input.idx_labels.empty()) {
      ASSIGN_OR_RETURN(std::filesystem::path labels, InputBlob(ctx, kLabelsRole, blobs));
      renames.emplace_back(labels.string(), spec.input.idx_labels.string());
      spec.input.idx_labels = labels;
    }
    // The blobs are re-hashed while the data is prepared from them, on
    // another core: no output is recorded, and no error reported, before
    // their digests are known to match (a damaged input explains any
    // failure of its parse).
    std::future<Status> verified = std::async(std::launch::async, [&ctx, &blobs] {
      for (const crypto::Sha256Digest& digest : blobs) {
        RETURN_IF_ERROR(ctx.workspace().blobs().Verify(digest).WithContext(
            fmt::format("input blob {}", digest.Id())));
      }
      return Status::Ok();
    });

    data::PrepareReports reports;
    Result<data::PrepareResult> prepared = data::PrepareDataset(spec, env, reports);
    RETURN_IF_ERROR(verified.get());
    // Reports and messages name the user's files, not the scratch copies.
    for (Json* report : {&reports.profile, &reports.validation, &reports.pii}) {
      if (report->is_null()) continue;
      std::string text = report->dump();
      for (const auto& [from, to] : renames)
        text = ReplaceAll(text, JsonEscaped(from), JsonEscaped(to));
      *report = Json::parse(text);
    }
    if (!reports.pii_summary.empty()) {
      log::Warning("  PII found in the input (pii: {}):\n{}",
                   spec.pii == data::PiiPolicy::kDeny ? "deny" : "warn", reports.pii_summary);
    }
    if (!prepared.ok()) {
      std::string message = prepared.status().message();
      for (const auto& [from, to] : renames) message = ReplaceAll(message, from, to);
      // The reports explain the failure (which rows broke which expectation).
      Result<int> written = WriteReports(reports, ctx.run_dir() / "reports");
      if (written.ok() && *written > 0) {
        message += fmt::format("\nreports: {}", (ctx.run_dir() / "reports").string());
      }
      return Status(prepared.status().code(), message);
    }
    std::vector<StepContext::InMemoryOutput> outputs;
    std::vector<std::string> roles;
    std::vector<int64_t> rows;
    for (data::PreparedSplit& split : prepared->splits) {
      roles.push_back(split.role);
      rows.push_back(split.schema.value("rows", int64_t{0}));
      outputs.push_back({roles.back(),
                         data::DatasetFiles(std::move(split)),
                         "dataset",
                         kDatasetMediaType,
                         {{"rows", rows.back()}, {"split", roles.back()}}});
    }
    Stopwatch store_clock;
    ASSIGN_OR_RETURN(std::vector<std::string> ids, ctx.AddOutputFiles(std::move(outputs)));
    prepared->stages.emplace_back("store", store_clock.ElapsedSeconds());
    std::string stages;
    for (const auto& [stage, seconds] : prepared->stages) {
      stages += fmt::format("{}{} {:.3f} s", stages.empty() ? "" : ", ", stage, seconds);
    }
    // Where the time went, for whoever wonders why a step is slow.
    log::Info("  stages: {}", stages);
    for (size_t i = 0; i < ids.size(); ++i) {
      RETURN_IF_ERROR(ctx.AddSummaryMetric(roles[i] + "_rows", static_cast<double>(rows[i])));
      log::Info("  {} split: {} rows → {}", roles[i], rows[i], ids[i]);
    }
    ASSIGN_OR_RETURN(auto report_dir, ctx.ScratchDir("out-profile"));
    ASSIGN_OR_RETURN(int written, WriteReports(reports, report_dir));
    if (written > 0) {
      RETURN_IF_ERROR(
          ctx.AddOutputDir(std::string(kProfileRole), report_dir, "report", kReportMediaType)
              .status());
    }
    const Json& stats = prepared->stats;
    RETURN_IF_ERROR(ctx.AddSummaryMetric(
        "rows_removed", stats.value("source_rows", 0.0) - stats.value("rows_after_clean", 0.0)));
    RETURN_IF_ERROR(ctx.AddSummaryMetric("features", stats.value("features", 0.0)));
    double pii_cells = 0;
    // pii: allow scans nothing, so there is no report to count from.
    const Json pii_columns =
        reports.pii.is_object() ? reports.pii.value("columns", Json::object()) : Json::object();
    for (const auto& [column, kinds] : pii_columns.items()) {
      for (const auto& [kind, count] : kinds.items()) pii_cells += count.get<double>();
    }
    if (!reports.pii.is_null()) RETURN_IF_ERROR(ctx.AddSummaryMetric("pii_cells", pii_cells));
    return Status::Ok();
  }

 private:
  // The blob of the recorded one-file input artifact `role`, read in place
  // (blobs are read-only and content-addressed); its digest goes to
  // `to_verify`, which Execute re-hashes before trusting what was read.
  static Result<std::filesystem::path> InputBlob(StepContext& ctx, std::string_view role,
                                                 std::vector<crypto::Sha256Digest>& to_verify) {
    ASSIGN_OR_RETURN(const LoadedArtifact* input, ctx.Input(std::string(role)));
    if (input->manifest.files().size() != 1) {
      return InternalError(fmt::format("input '{}' of a process step is not a single file", role));
    }
    const crypto::Sha256Digest& digest = input->manifest.files().front().digest;
    to_verify.push_back(digest);
    return ctx.workspace().blobs().PathOf(digest);
  }
};

}  // namespace

std::unique_ptr<StepRunner> MakeProcessStep() { return std::make_unique<ProcessStep>(); }

}  // namespace citadel::workload::steps
