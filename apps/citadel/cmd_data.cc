// citadel data generate: seeded messy synthetic CSV (and PII ground truth) for
// tests and benchmarks; needs no workspace.
// citadel data profile REF|PATH: the stored input profile of a process step,
// or a fresh profile of a local file.
#include <fmt/format.h>

#include <sstream>

#include "base/system/files.h"
#include "cli.h"
#include "data/generate/messy_generator.h"
#include "data/ingest/input_spec.h"
#include "data/profile/table_profile.h"
#include "workload/dataset_reports.h"
#include "workload/ref_resolver.h"

namespace citadel::cli {
namespace {

struct GenerateArgs {
  data::GeneratorOptions options;
  bool no_pii = false;
  std::string out;
  std::string truth;
};

Status Generate(const GenerateArgs& args) {
  data::GeneratorOptions options = args.options;
  options.with_pii = !args.no_pii;
  std::ostringstream csv;
  ASSIGN_OR_RETURN(std::vector<data::PiiTruth> truth, data::GenerateMessyCsv(options, csv));
  RETURN_IF_ERROR(WriteFileAtomic(args.out, csv.view()));
  if (!args.truth.empty()) {
    Json records = Json::array();
    for (const data::PiiTruth& p : truth) {
      records.push_back(
          Json{{"row", p.row}, {"column", p.column}, {"kind", p.kind}, {"value", p.value}});
    }
    RETURN_IF_ERROR(WriteFileAtomic(args.truth, PrettyJson(records)));
  }
  fmt::print("wrote {} rows x {} columns to {} (seed {}, {} planted PII values{})\n", options.rows,
             data::MessyColumns(options.with_pii).size(), args.out, options.seed, truth.size(),
             args.truth.empty() ? "" : fmt::format(", truth in {}", args.truth));
  return Status::Ok();
}

// A path that exists is profiled directly (no workspace needed); anything
// else is an artifact reference.
Status Profile(const Globals& globals, const std::string& target, bool json) {
  Json profile;
  std::error_code ec;
  if (std::filesystem::is_regular_file(target, ec)) {
    ASSIGN_OR_RETURN(data::Table table, data::ReadTableFile(target));
    profile = data::ProfileTable(table);
  } else {
    ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
    ASSIGN_OR_RETURN(std::string id, workload::ResolveArtifactRef(ws->catalog(), target));
    ASSIGN_OR_RETURN(profile, workload::StoredProfile(*ws, id));
  }
  if (json) {
    PrintJson(profile);
  } else {
    fmt::print("{}", data::FormatProfile(profile));
  }
  return Status::Ok();
}

}  // namespace

void AddDataCommands(CLI::App& app, Command& cmd) {
  auto* data = app.add_subcommand("data", "Data tooling");
  data->require_subcommand(1);
  auto* generate = data->add_subcommand(
      "generate", "Write a seeded messy synthetic CSV (missing cells, duplicates, outliers, PII)");
  auto args = std::make_shared<GenerateArgs>();
  generate->add_option("--rows", args->options.rows, "Data rows")
      ->check(CLI::Range(int64_t{1}, data::kMaxGeneratedRows));
  generate->add_option("--seed", args->options.seed, "Random seed; same seed, same bytes");
  generate->add_option("--out", args->out, "CSV file to write")->required();
  generate->add_option("--truth", args->truth,
                       "Also write the planted PII as a JSON array of {row, column, kind, value}");
  generate->add_flag("--no-pii", args->no_pii, "Leave out the PII columns and notes");
  generate->add_option("--missing-rate", args->options.missing_rate, "Share of empty cells")
      ->check(CLI::Range(0.0, 1.0));
  generate
      ->add_option("--duplicate-rate", args->options.duplicate_rate,
                   "Share of rows copied from an earlier row")
      ->check(CLI::Range(0.0, 1.0));
  generate
      ->add_option("--outlier-rate", args->options.outlier_rate,
                   "Share of rows with an outlier in age or income")
      ->check(CLI::Range(0.0, 1.0));
  generate->callback([&cmd, args] { cmd.action = [args] { return Generate(*args); }; });

  auto* profile = data->add_subcommand(
      "profile",
      "Per-column statistics (missing, distinct, min/max/mean/std, top values, histogram, PII) of "
      "a process step's input (REF: its dataset or profile report) or of a local CSV/JSONL/IDX "
      "file");
  auto target = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  profile->add_option("target", *target, "Artifact reference, or a file path")->required();
  profile->add_flag("--json", *json, "JSON output (the stored profile.json)");
  profile->callback([&cmd, target, json] {
    cmd.action = [&cmd, target, json] { return Profile(cmd.globals, *target, *json); };
  });
}

}  // namespace citadel::cli
