// citadel scan PATH… [--json|--sarif] [--policy strict|default]: what loading each
// model file would run, without loading it (src/scan). Directories are
// walked; files of no format the scanner inspects are listed as not
// scanned. Exit 1 when any finding is reported.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "base/version.h"
#include "cli.h"
#include "scan/model_scanner.h"
#include "scan/sarif.h"
#include "workload/model_import.h"

namespace citadel::cli {
namespace {

Json FindingJson(const scan::Finding& f) {
  return {{"severity", scan::SeverityName(f.severity)},
          {"rule", f.rule},
          {"entry", f.entry},
          {"offset", f.offset},
          {"detail", f.detail}};
}

// Names from a scanned file (entries, globals) for a terminal: control
// characters become '?', so an entry name cannot rewrite the report's lines.
std::string Printable(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

// The files under `path` (itself when it is a file), sorted.
Result<std::vector<std::filesystem::path>> FilesUnder(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return NotFoundError(fmt::format("{}: no such file or directory", path.string()));
  }
  std::vector<std::filesystem::path> files;
  if (!std::filesystem::is_directory(path, ec)) {
    files.push_back(path);
    return files;
  }
  for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) files.push_back(it->path());
  }
  if (ec) return UnavailableError(fmt::format("{}: {}", path.string(), ec.message()));
  std::sort(files.begin(), files.end());
  return files;
}

enum class Output { kText, kJson, kSarif };

Status Scan(const std::vector<std::string>& paths, const std::string& policy_name, Output output) {
  scan::ScanOptions options;
  options.policy = policy_name == "strict" ? scan::ScanPolicy::kStrict : scan::ScanPolicy::kDefault;
  std::vector<scan::FileReport> reports;
  for (const std::string& p : paths) {
    ASSIGN_OR_RETURN(std::vector<std::filesystem::path> files, FilesUnder(p));
    for (const auto& file : files) {
      ASSIGN_OR_RETURN(scan::FileReport report, scan::ScanFile(file, options));
      reports.push_back(std::move(report));
    }
  }
  size_t dangerous = 0, suspicious = 0, flagged = 0;
  for (const scan::FileReport& r : reports) {
    flagged += r.clean() ? 0 : 1;
    for (const scan::Finding& f : r.findings) {
      (f.severity == scan::Severity::kDangerous ? dangerous : suspicious) += 1;
    }
  }
  if (output == Output::kSarif) {
    PrintJson(scan::ToSarif(reports, CitadelVersion()));
  } else if (output == Output::kJson) {
    Json files = Json::array();
    for (const scan::FileReport& r : reports) {
      Json findings = Json::array();
      for (const scan::Finding& f : r.findings) findings.push_back(FindingJson(f));
      files.push_back({{"path", r.path},
                       {"format", r.format},
                       {"scanned", r.format != "unknown"},
                       {"findings", findings}});
    }
    PrintJson(
        {{"policy", policy_name},
         {"files", files},
         {"summary",
          {{"files", reports.size()}, {"dangerous", dangerous}, {"suspicious", suspicious}}}});
  } else {
    for (const scan::FileReport& r : reports) {
      fmt::print("{}  {}  {}\n", r.path, r.format,
                 r.format == "unknown" ? "not scanned"
                 : r.clean()           ? "clean"
                                       : fmt::format("{} findings", r.findings.size()));
      for (const scan::Finding& f : r.findings) {
        fmt::print("  {:<10} {:<22} {}{}: {}\n", scan::SeverityName(f.severity), f.rule,
                   f.entry.empty() ? "" : Printable(f.entry) + " ", fmt::format("@{}", f.offset),
                   Printable(f.detail));
      }
    }
    fmt::print("{} files, {} dangerous and {} suspicious findings (policy {})\n", reports.size(),
               dangerous, suspicious, policy_name);
  }
  if (flagged == 0) return Status::Ok();
  return FailedPreconditionError(
      fmt::format("{} of {} files have findings; do not load them: get the model from its original "
                  "publisher, or as weights only (safetensors)",
                  flagged, reports.size()));
}

struct ImportArgs {
  std::string path;
  workload::ImportOptions options;
  std::string policy = "default";
  bool json = false;
};

Status Import(const Globals& globals, ImportArgs args) {
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
  args.options.policy =
      args.policy == "strict" ? scan::ScanPolicy::kStrict : scan::ScanPolicy::kDefault;
  ASSIGN_OR_RETURN(workload::ImportResult result,
                   workload::ImportModel(*ws, args.path, args.options));
  if (args.json) {
    PrintJson({{"artifact", result.artifact_id},
               {"run_id", result.run_id},
               {"quarantined", result.quarantined}});
    return Status::Ok();
  }
  fmt::print("imported {} as {} ({}){}\n", args.path, result.artifact_id, args.options.name,
             result.quarantined ? " — QUARANTINED: stored with its scan findings in its metadata "
                                  "(quarantined: true); do not load it"
                                : "");
  return Status::Ok();
}

}  // namespace

void AddScanCommand(CLI::App& app, Command& cmd) {
  auto import_args = std::make_shared<ImportArgs>();
  auto* import = app.add_subcommand(
      "import", "Scan a model file or directory, then store it with its provenance");
  import->add_option("path", import_args->path, "Model file or directory")->required();
  import->add_option("--name", import_args->options.name, "Artifact name")->required();
  import->add_flag("--quarantine", import_args->options.quarantine,
                   "Store it even with scan findings, marked quarantined");
  import->add_option("--policy", import_args->policy, "Scan policy: default or strict")
      ->check(CLI::IsMember({"default", "strict"}));
  import->add_flag("--json", import_args->json, "JSON result");
  import->callback([&cmd, import_args] {
    cmd.action = [&cmd, import_args] { return Import(cmd.globals, *import_args);
};
}  // namespace citadel::cli
);

auto* scan = app.add_subcommand(
    "scan", "Find what loading model files would run (pickles, PyTorch and TorchScript ZIPs)");
auto paths = std::make_shared<std::vector<std::string>>();
auto policy = std::make_shared<std::string>("default");
auto json = std::make_shared<bool>(false);
auto sarif = std::make_shared<bool>(false);
scan->add_option("paths", *paths, "Files or directories")->required();
scan->add_option("--policy", *policy,
                 "default: deny dangerous callables, flag unknown ones; strict: allow only "
                 "tensor and array rebuilds")
    ->check(CLI::IsMember({"default", "strict"}));
auto* json_flag = scan->add_flag("--json", *json, "JSON report");
scan->add_flag("--sarif", *sarif, "SARIF 2.1.0 report (for code-scanning services)")
    ->excludes(json_flag);
scan->callback([&cmd, paths, policy, json, sarif] {
  const Output output = *sarif ? Output::kSarif : *json ? Output::kJson : Output::kText;
  cmd.action = [paths, policy, output] { return Scan(*paths, *policy, output); };
});
}

}  // namespace citadel::cli
