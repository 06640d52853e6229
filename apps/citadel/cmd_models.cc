// citadel models ls | show NAME | register NAME REF [--alias A…] | alias NAME ALIAS VERSION.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli.h"
#include "workload/ref_resolver.h"

namespace citadel::cli {
namespace {

Json VersionJson(const catalog::ModelVersion& v) {
  return {{"name", v.model},
          {"version", v.version},
          {"artifact", v.artifact_id},
          {"aliases", v.aliases},
          {"created_at", v.created_at},
          {"created_by_run", v.created_by_run ? Json(*v.created_by_run) : Json(nullptr)}};
}

Status PrintVersions(const std::vector<catalog::ModelVersion>& versions, bool json) {
  if (json) {
    Json out = Json::array();
    for (const auto& v : versions) out.push_back(VersionJson(v));
    PrintJson(out);
    return Status::Ok();
  }
  std::vector<std::vector<std::string>> rows = {
      {"MODEL", "VERSION", "ALIASES", "ARTIFACT", "CREATED"}};
  for (const auto& v : versions) {
    rows.push_back({v.model, std::to_string(v.version),
                    fmt::format("{}", fmt::join(v.aliases, ",")), v.artifact_id, v.created_at});
  }
  fmt::print("{}", FormatTable(rows));
  return Status::Ok();
}

Status List(const Globals& globals, bool json) {
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
  ASSIGN_OR_RETURN(auto versions, ws->catalog().ListModelVersions());
  return PrintVersions(versions, json);
}

Status Show(const Globals& globals, const std::string& name, bool json) {
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
  ASSIGN_OR_RETURN(auto versions, ws->catalog().ListModelVersions(name));
  if (versions.empty())
    return NotFoundError(fmt::format("no model named '{}' (see `citadel models ls`)", name));
  return PrintVersions(versions, json);
}

Status Register(const Globals& globals, const std::string& name, const std::string& ref,
                const std::vector<std::string>& aliases) {
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
  ASSIGN_OR_RETURN(std::string id, workload::ResolveArtifactRef(ws->catalog(), ref));
  ASSIGN_OR_RETURN(auto artifact, ws->catalog().GetArtifact(id));
  ASSIGN_OR_RETURN(auto version,
                   ws->catalog().RegisterModelVersion(name, id, artifact.created_by_run));
  for (const auto& alias : aliases)
    RETURN_IF_ERROR(ws->catalog().SetAlias(name, alias, version.version));
  fmt::print("{} version {} → {}\n", name, version.version, id);
  return Status::Ok();
}

Status Alias(const Globals& globals, const std::string& name, const std::string& alias,
             int64_t version) {
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
  RETURN_IF_ERROR(ws->catalog().SetAlias(name, alias, version));
  fmt::print("{}@{} → version {}\n", name, alias, version);
  return Status::Ok();
}

}  // namespace

void AddModelsCommands(CLI::App& app, Command& cmd) {
  auto* models = app.add_subcommand("models", "The model registry: names, versions, aliases");
  models->require_subcommand(1);

  auto* ls = models->add_subcommand("ls", "List every registered model version");
  auto json = std::make_shared<bool>(false);
  ls->add_flag("--json", *json, "JSON output");
  ls->callback([&cmd, json] { cmd.action = [&cmd, json] { return List(cmd.globals, *json); }; });

  auto* show = models->add_subcommand("show", "Versions of one model");
  auto name = std::make_shared<std::string>();
  auto show_json = std::make_shared<bool>(false);
  show->add_option("name", *name, "Model name")->required();
  show->add_flag("--json", *show_json, "JSON output");
  show->callback([&cmd, name, show_json] {
    cmd.action = [&cmd, name, show_json] { return Show(cmd.globals, *name, *show_json); };
  });

  auto* reg =
      models->add_subcommand("register", "Register a model artifact as the next version of NAME");
  auto reg_name = std::make_shared<std::string>();
  auto ref = std::make_shared<std::string>();
  auto aliases = std::make_shared<std::vector<std::string>>();
  reg->add_option("name", *reg_name, "Model name")->required();
  reg->add_option("ref", *ref, "Model artifact reference")->required();
  reg->add_option("--alias", *aliases, "Alias to point at the new version (repeatable)");
  reg->callback([&cmd, reg_name, ref, aliases] {
    cmd.action = [&cmd, reg_name, ref, aliases] {
      return Register(cmd.globals, *reg_name, *ref, *aliases);
    };
  });

  auto* alias = models->add_subcommand("alias", "Point NAME@ALIAS at a version");
  auto a_name = std::make_shared<std::string>();
  auto a_alias = std::make_shared<std::string>();
  auto a_version = std::make_shared<int64_t>(0);
  alias->add_option("name", *a_name, "Model name")->required();
  alias->add_option("alias", *a_alias, "Alias (e.g. production)")->required();
  alias->add_option("version", *a_version, "Version number")
      ->required()
      ->check(CLI::PositiveNumber);
  alias->callback([&cmd, a_name, a_alias, a_version] {
    cmd.action = [&cmd, a_name, a_alias, a_version] {
      return Alias(cmd.globals, *a_name, *a_alias, *a_version);
    };
  });
}

}  // namespace citadel::cli
