// citadel deploy ENDPOINT --model NAME:VERSION [--canary NAME:VERSION --weight P]
//   [--shadow NAME:VERSION] [--settings FILE] | --remove;
// citadel deployments ls | show ENDPOINT; citadel tokens create | ls | revoke.
// Deployments are catalog revisions; a running `citadel serve` picks each
// one up without restart.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/text/spec_reader.h"
#include "cli.h"
#include "serve/guards/request_guards.h"
#include "serve/routing/deployment_spec.h"

namespace citadel::cli {
namespace {

struct DeployFlags {
  std::string endpoint;
  std::string model, canary, shadow;
  double weight = -1;
  std::string settings;
  bool remove = false;
  bool json = false;
};

// NAME:VERSION or NAME@ALIAS → a route with its artifact resolved now, so
// the revision names exact bytes whatever happens to aliases later.
Result<serve::Route> ResolveRoute(workload::Workspace& ws, const std::string& ref,
                                  std::string_view flag, serve::RouteRole role) {
  catalog::ModelVersion v;
  if (size_t at = ref.find('@'); at != std::string::npos) {
    ASSIGN_OR_RETURN(v, ws.catalog().ResolveModel(ref.substr(0, at), 0, ref.substr(at + 1)));
  } else {
    ASSIGN_OR_RETURN(auto parsed, serve::ParseModelVersionRef(ref, flag));
    ASSIGN_OR_RETURN(v, ws.catalog().ResolveModel(parsed.first, parsed.second, ""));
  }
  serve::Route r;
  r.model = v.model;
  r.version = v.version;
  r.artifact_id = v.artifact_id;
  r.role = role;
  r.weight = role == serve::RouteRole::kShadow ? 0 : 100;
  return r;
}

Json RevisionJson(const catalog::DeploymentRecord& d) {
  return {{"endpoint", d.endpoint}, {"revision", d.revision},     {"spec", d.spec},
          {"reason", d.reason},     {"created_by", d.created_by}, {"created_at", d.created_at}};
}

std::string RoutesText(const Json& spec) {
  std::vector<std::string> parts;
  for (const Json& r : spec.value("routes", Json::array())) {
    std::string text =
        fmt::format("{}:{} {}", r.value("model", ""), r.value("version", 0), r.value("role", ""));
    if (r.contains("weight")) text += fmt::format(" {} %", r["weight"].get<double>());
    parts.push_back(text);
  }
  return parts.empty() ? "(removed)" : fmt::format("{}", fmt::join(parts, ", "));
}

Status Deploy(const Globals& globals, const DeployFlags& f) {
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
  catalog::DeploymentRecord record;
  record.endpoint = f.endpoint;
  record.created_by = "cli";
  if (f.remove) {
    ASSIGN_OR_RETURN(auto current, ws->catalog().CurrentDeployment(f.endpoint));
    if (!current || current->spec.empty()) {
      return NotFoundError(fmt::format("endpoint {} is not deployed", f.endpoint));
    }
    record.reason = "citadel deploy --remove";
  } else {
    if (f.model.empty()) return InvalidArgumentError("--model NAME:VERSION is required");
    YamlDocument doc;
    doc.source = "(flags)";
    doc.root = Json::object();
    if (!f.settings.empty()) {
      ASSIGN_OR_RETURN(doc, LoadYamlFile(f.settings));
      if (doc.root.is_null()) doc.root = Json::object();
      if (!doc.root.is_object() || doc.root.contains("routes")) {
        return InvalidArgumentError(fmt::format(
            "{}: the settings file holds rollout, batching, hardening, limits and ood; the "
            "routes come from --model, --canary and --shadow",
            f.settings));
      }
    }
    Json routes = Json::array();
    ASSIGN_OR_RETURN(serve::Route primary,
                     ResolveRoute(*ws, f.model, "--model", serve::RouteRole::kPrimary));
    std::optional<serve::Route> canary;
    if (!f.canary.empty()) {
      ASSIGN_OR_RETURN(canary, ResolveRoute(*ws, f.canary, "--canary", serve::RouteRole::kCanary));
      double weight = f.weight;
      if (weight < 0 && doc.root.contains("rollout")) {
        // A rollout starts at its first step.
        ASSIGN_OR_RETURN(serve::CanaryPolicy policy,
                         serve::ParseCanaryPolicy(SpecReader(doc, "/rollout")));
        weight = policy.steps.front();
      }
      if (weight < 0) {
        return InvalidArgumentError(
            "--canary needs --weight P (0-100), or a rollout in --settings");
      }
      canary->weight = weight;
      primary.weight = 100 - weight;
    } else if (f.weight >= 0) {
      return InvalidArgumentError("--weight is the canary's share: it needs --canary");
    }
    std::vector<serve::Route> all = {primary};
    if (canary) all.push_back(*canary);
    if (!f.shadow.empty()) {
      ASSIGN_OR_RETURN(serve::Route shadow,
                       ResolveRoute(*ws, f.shadow, "--shadow", serve::RouteRole::kShadow));
      all.push_back(shadow);
    }
    serve::DeploymentSpec routes_only;
    routes_only.routes = all;
    doc.root["routes"] = serve::DeploymentSpecToJson(routes_only)["routes"];
    // Validated as a whole (settings lines in errors), stored normalised.
    ASSIGN_OR_RETURN(serve::DeploymentSpec spec, serve::ParseDeploymentSpec(doc, ""));
    record.spec = serve::DeploymentSpecToJson(spec);
    record.reason = "citadel deploy";
  }
  ASSIGN_OR_RETURN(int64_t revision, ws->catalog().PutDeployment(record));
  record.revision = revision;
  if (f.json) {
    ASSIGN_OR_RETURN(auto stored, ws->catalog().CurrentDeployment(f.endpoint));
    if (stored) PrintJson(RevisionJson(*stored));
  } else {
    fmt::print("{} revision {}: {}\n", f.endpoint, revision, RoutesText(record.spec));
  }
  return Status::Ok();
}

Status ListDeployments(const Globals& globals, bool json) {
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
  ASSIGN_OR_RETURN(auto current, ws->catalog().CurrentDeployments());
  if (json) {
    Json out = Json::array();
    for (const auto& d : current) out.push_back(RevisionJson(d));
    PrintJson(out);
    return Status::Ok();
  }
  std::vector<std::vector<std::string>> rows = {{"ENDPOINT", "REVISION", "ROUTES", "SINCE"}};
  for (const auto& d : current) {
    rows.push_back({d.endpoint, std::to_string(d.revision), RoutesText(d.spec), d.created_at});
  }
  fmt::print("{}", FormatTable(rows));
  return Status::Ok();
}

Status ShowDeployment(const Globals& globals, const std::string& endpoint, bool json) {
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
  ASSIGN_OR_RETURN(auto history, ws->catalog().DeploymentHistory(endpoint));
  if (history.empty()) {
    return NotFoundError(
        fmt::format("endpoint {} was never deployed (`citadel deployments ls`)", endpoint));
  }
  ASSIGN_OR_RETURN(auto events, ws->catalog().DeploymentEvents(endpoint, 50));
  if (json) {
    Json revisions = Json::array(), evs = Json::array();
    for (const auto& d : history) revisions.push_back(RevisionJson(d));
    for (const auto& e : events) {
      evs.push_back({{"id", e.id}, {"kind", e.kind}, {"detail", e.detail}, {"at", e.created_at}});
    }
    PrintJson({{"endpoint", endpoint},
               {"current", revisions.back()},
               {"revisions", revisions},
               {"events", evs}});
    return Status::Ok();
  }
  std::vector<std::vector<std::string>> rows = {{"REVISION", "BY", "AT", "ROUTES", "REASON"}};
  for (const auto& d : history) {
    rows.push_back(
        {std::to_string(d.revision), d.created_by, d.created_at, RoutesText(d.spec), d.reason});
  }
  fmt::print("{}", FormatTable(rows));
  if (!events.empty()) {
    fmt::print("\nevents:\n");
    for (const auto& e : events) {
      fmt::print("  {}  {:<8} {}\n", e.created_at, e.kind, e.detail.dump());
    }
  }
  return Status::Ok();
}

struct TokenFlags {
  std::string name;
  double rate = -1, burst = -1, budget_window = -1;
  int64_t budget_rows = -1;
  bool json = false;
};

Status CreateToken(const Globals& globals, const TokenFlags& f) {
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
  serve::NewToken token = serve::GenerateToken();
  catalog::TokenRecord record;
  record.id = token.id;
  record.name = f.name;
  record.hash = serve::HashToken(token.secret);
  if (f.rate >= 0) record.limits["rate_per_second"] = f.rate;
  if (f.burst >= 0) record.limits["burst"] = f.burst;
  if (f.budget_rows >= 0) record.limits["budget_rows"] = f.budget_rows;
  if (f.budget_window > 0) record.limits["budget_window_seconds"] = f.budget_window;
  RETURN_IF_ERROR(ws->catalog().PutToken(record));
  if (f.json) {
    PrintJson({{"id", record.id},
               {"name", record.name},
               {"token", token.secret},
               {"limits", record.limits}});
  } else {
    // The secret is shown once: only its hash is stored.
    fmt::print("{}\n", token.secret);
    fmt::print(stderr, "token '{}' (id {}) created; it is shown only now — store it safely\n",
               record.name, record.id);
  }
  return Status::Ok();
}

Status ListTokens(const Globals& globals, bool json) {
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
  ASSIGN_OR_RETURN(auto tokens, ws->catalog().ListTokens());
  if (json) {
    Json out = Json::array();
    for (const auto& t : tokens) {
      out.push_back({{"id", t.id},
                     {"name", t.name},
                     {"limits", t.limits},
                     {"created_at", t.created_at},
                     {"revoked_at", t.revoked_at ? Json(*t.revoked_at) : Json(nullptr)}});
    }
    PrintJson(out);
    return Status::Ok();
  }
  std::vector<std::vector<std::string>> rows = {{"ID", "NAME", "LIMITS", "CREATED", "REVOKED"}};
  for (const auto& t : tokens) {
    rows.push_back({t.id, t.name, t.limits.dump(), t.created_at, t.revoked_at.value_or("-")});
  }
  fmt::print("{}", FormatTable(rows));
  return Status::Ok();
}

}  // namespace

void AddDeployCommands(CLI::App& app, Command& cmd) {
  auto* deploy = app.add_subcommand(
      "deploy", "Deploy model versions to an endpoint (a running server picks it up)");
  auto f = std::make_shared<DeployFlags>();
  deploy->add_option("endpoint", f->endpoint, "Endpoint name (the OIP model name)")->required();
  deploy->add_option("--model", f->model, "Primary version: NAME:VERSION or NAME@ALIAS");
  deploy->add_option("--canary", f->canary, "Canary version: NAME:VERSION or NAME@ALIAS");
  deploy->add_option("--weight", f->weight, "The canary's share of traffic in %")
      ->check(CLI::Range(0.0, 100.0));
  deploy->add_option("--shadow", f->shadow, "Shadow version: gets a copy of every request");
  deploy->add_option("--settings", f->settings,
                     "YAML with rollout, batching, hardening, limits and ood settings");
  deploy->add_flag("--remove", f->remove, "Take the endpoint out of service");
  deploy->add_flag("--json", f->json, "JSON output");
  deploy->callback([&cmd, f] { cmd.action = [&cmd, f] { return Deploy(cmd.globals, *f); }; });

  auto* deployments = app.add_subcommand("deployments", "Deployments, their history and events");
  deployments->require_subcommand(1);
  auto ls_json = std::make_shared<bool>(false);
  auto* ls = deployments->add_subcommand("ls", "Current revision of every endpoint");
  ls->add_flag("--json", *ls_json, "JSON output");
  ls->callback([&cmd, ls_json] {
    cmd.action = [&cmd, ls_json] { return ListDeployments(cmd.globals, *ls_json); };
  });
  auto* show = deployments->add_subcommand("show", "Revisions and server events of an endpoint");
  auto endpoint = std::make_shared<std::string>();
  auto show_json = std::make_shared<bool>(false);
  show->add_option("endpoint", *endpoint, "Endpoint name")->required();
  show->add_flag("--json", *show_json, "JSON output");
  show->callback([&cmd, endpoint, show_json] {
    cmd.action = [&cmd, endpoint, show_json] {
      return ShowDeployment(cmd.globals, *endpoint, *show_json);
    };
  });

  auto* tokens = app.add_subcommand("tokens", "API tokens of the inference server");
  tokens->require_subcommand(1);
  auto t = std::make_shared<TokenFlags>();
  auto* create = tokens->add_subcommand("create", "Make a token (printed once; stored hashed)");
  create->add_option("name", t->name, "Unique name, e.g. the client's")->required();
  create->add_option("--rate-limit", t->rate, "Requests per second (0 = unlimited)")
      ->check(CLI::NonNegativeNumber);
  create->add_option("--burst", t->burst, "Rate-limit burst")->check(CLI::NonNegativeNumber);
  create->add_option("--budget-rows", t->budget_rows, "Rows per budget window (0 = unlimited)")
      ->check(CLI::NonNegativeNumber);
  create->add_option("--budget-window", t->budget_window, "Budget window in seconds")
      ->check(CLI::PositiveNumber);
  create->add_flag("--json", t->json, "JSON output (includes the secret)");
  create->callback([&cmd, t] { cmd.action = [&cmd, t] { return CreateToken(cmd.globals, *t); }; });
  auto tls_json = std::make_shared<bool>(false);
  auto* tls = tokens->add_subcommand("ls", "List tokens (never their secrets)");
  tls->add_flag("--json", *tls_json, "JSON output");
  tls->callback([&cmd, tls_json] {
    cmd.action = [&cmd, tls_json] { return ListTokens(cmd.globals, *tls_json); };
  });
  auto* revoke = tokens->add_subcommand("revoke", "Revoke a token by id or name");
  auto which = std::make_shared<std::string>();
  revoke->add_option("token", *which, "Token id or name")->required();
  revoke->callback([&cmd, which] {
    cmd.action = [&cmd, which]() -> Status {
      ASSIGN_OR_RETURN(auto ws, OpenWorkspace(cmd.globals));
      RETURN_IF_ERROR(ws->catalog().RevokeToken(*which));
      fmt::print("token {} revoked\n", *which);
      return Status::Ok();
    };
  });
}

}  // namespace citadel::cli
