// citadel: the one binary. Each subcommand is a thin layer over library calls
// (see cmd_*.cc); this file wires the parser and maps outcomes to exit codes.
#include <fmt/format.h>
#include <malloc.h>

#include <CLI/CLI.hpp>

#include "base/logging.h"
#include "base/version.h"
#include "cli.h"

int main(int argc, char** argv) {
  using namespace citadel;
  // A step allocates and frees column-sized buffers (8 MB per million rows)
  // over and over. glibc's defaults hand each one back to the kernel and
  // fault fresh zeroed pages in for the next, which cost a 1M-row process
  // step more system time than its parsing. Keep up to 512 MB of freed heap
  // for reuse, and serve buffers up to 256 MB from the heap.
  ::mallopt(M_MMAP_THRESHOLD, 256 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 512 << 20);
  CLI::App app{"Citadel: run AI workloads and secure them end to end"};
  app.set_version_flag("--version",
                       fmt::format("citadel {} ({})", CitadelVersion(), CitadelGitCommit()));
  app.require_subcommand(1);
  app.fallthrough();

  cli::Command cmd;
  app.add_option("--home", cmd.globals.home,
                 "Workspace directory (default: $CITADEL_HOME, else ./.citadel)");
  app.add_flag("-q,--quiet", cmd.globals.quiet, "Only warnings and errors on stderr");

  cli::AddWorkspaceCommands(app, cmd);
  cli::AddRunsCommands(app, cmd);
  cli::AddArtifactsCommands(app, cmd);
  cli::AddLineageCommand(app, cmd);
  cli::AddStoreCommands(app, cmd);
  cli::AddModelsCommands(app, cmd);
  cli::AddDataCommands(app, cmd);
  cli::AddScanCommand(app, cmd);
  cli::AddSigningCommands(app, cmd);
  cli::AddProvenanceCommand(app, cmd);
  cli::AddBomCommand(app, cmd);
  cli::AddServeCommand(app, cmd);
  cli::AddDeployCommands(app, cmd);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(
        stderr,
        "citadel: usage error: {}\nRun `citadel --help` (or `citadel COMMAND --help`) for usage.\n",
        e.what());
    return cli::kExitUsage;
  }
  if (cmd.globals.quiet) log::SetStderrLevel(log::Level::kWarning);
  if (!cmd.action) {
    fmt::print(stderr, "citadel: usage error: missing subcommand\n");
    return cli::kExitUsage;
  }
  Status status;
  try {
    status = cmd.action();
  } catch (const std::bad_alloc&) {
    status = UnavailableError("out of memory; free memory or process smaller inputs");
  } catch (const std::exception& e) {
    // Library code returns Status; reaching here is a bug, but the user still
    // gets a message and exit code 1 rather than an abort.
    status = InternalError(fmt::format("unexpected exception: {}", e.what()));
  }
  if (!status.ok()) cli::PrintError(status);
  return cli::ExitCodeFor(status);
}
