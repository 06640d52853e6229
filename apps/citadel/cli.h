// Shared plumbing of the citadel command line: global options, the single
// Status → exit code mapping, workspace opening and output helpers.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "provenance/signed_statement.h"
#include "workload/pipeline/pipeline_runner.h"
#include "workload/workspace.h"

namespace citadel::cli {

// Exit codes of the CLI contract (ARCHITECTURE.md §7).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // a failure, or a check that failed
inline constexpr int kExitUsage = 2;    // the command line itself is wrong

struct Globals {
  std::string home;  // --home; empty → $CITADEL_HOME or ./.citadel
  bool quiet = false;
};

// Subcommand callbacks store their work here; main() runs it after parsing
// so that parse errors and execution errors are handled in one place.
struct Command {
  Globals globals;
  std::function<Status()> action;
};

// The one place a Status becomes an exit code: every error is a failure (1);
// usage errors are detected by the parser and exit 2 before any Status exists.
int ExitCodeFor(const Status& status);

// Prints "citadel: error: <code>: <message>" on stderr.
void PrintError(const Status& status);

Result<std::unique_ptr<workload::Workspace>> OpenWorkspace(const Globals& globals);

void PrintJson(const Json& value);

// Left-aligned columns, two spaces apart.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);

// The human summary of `citadel run` (and `citadel runs resume`).
void PrintOutcome(const workload::PipelineOutcome& outcome, double seconds);

// "sha256:0123456789ab" — short enough for tables, unique in practice.
std::string ShortId(const std::string& id);
std::string HumanBytes(uint64_t bytes);

void AddWorkspaceCommands(CLI::App& app, Command& cmd);  // init, run
void AddRunsCommands(CLI::App& app, Command& cmd);       // runs ls|show|logs|resume
void AddArtifactsCommands(CLI::App& app, Command& cmd);  // artifacts ls|show|export
void AddLineageCommand(CLI::App& app, Command& cmd);     // lineage
void AddStoreCommands(CLI::App& app, Command& cmd);      // store verify
void AddModelsCommands(CLI::App& app, Command& cmd);     // models ls|show|register|alias
void AddDataCommands(CLI::App& app, Command& cmd);       // data generate
void AddScanCommand(CLI::App& app, Command& cmd);        // scan
void AddSigningCommands(CLI::App& app, Command& cmd);    // keys generate, sign, verify
void AddProvenanceCommand(CLI::App& app, Command& cmd);  // provenance
void AddBomCommand(CLI::App& app, Command& cmd);         // bom
void AddServeCommand(CLI::App& app, Command& cmd);       // serve
void AddDeployCommands(CLI::App& app, Command& cmd);     // deploy, deployments, tokens

// `citadel verify --chain REF` (cmd_provenance.cc): `anchors` as given on
// the command line; empty → policy.yaml's. The workspace key is added.
Status VerifyChain(const Globals& globals, const std::string& ref, provenance::TrustAnchors anchors,
                   bool json);

}  // namespace citadel::cli
