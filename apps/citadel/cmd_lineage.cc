// citadel lineage REF [--up|--down] [--json|--dot|--openlineage]: as a tree,
// JSON graph, Graphviz, or OpenLineage run events (one JSON object a line).
#include <fmt/format.h>

#include <functional>
#include <map>
#include <set>

#include "cli.h"
#include "workload/dataset_reports.h"
#include "workload/openlineage_export.h"
#include "workload/ref_resolver.h"

namespace citadel::cli {
namespace {

Json GraphJson(const catalog::LineageGraph& g) {
  Json nodes = Json::array();
  for (const auto& a : g.artifacts) {
    nodes.push_back(
        {{"id", a.id},
         {"type", "artifact"},
         {"kind", a.kind},
         {"name", a.name},
         {"created_by_run", a.created_by_run ? Json(*a.created_by_run) : Json(nullptr)}});
  }
  for (const auto& r : g.runs) {
    nodes.push_back({{"id", r.id},
                     {"type", "run"},
                     {"pipeline", r.pipeline},
                     {"step", r.step},
                     {"kind", r.kind},
                     {"status", catalog::RunStatusName(r.status)},
                     {"started_at", r.started_at}});
  }
  Json edges = Json::array();
  for (const auto& e : g.edges) edges.push_back({{"from", e.from}, {"to", e.to}, {"role", e.role}});
  return {{"nodes", nodes}, {"edges", edges}};
}

std::string DotEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string Dot(const catalog::LineageGraph& g) {
  std::string out = "digraph lineage {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n";
  for (const auto& a : g.artifacts) {
    out += fmt::format("  \"{}\" [shape=box, label=\"{}\\n{}\\n{}\"];\n", a.id, DotEscape(a.kind),
                       DotEscape(a.name), ShortId(a.id));
  }
  for (const auto& r : g.runs) {
    out += fmt::format(
        "  \"{}\" [shape=ellipse, style=filled, fillcolor=\"#e8eefc\", label=\"{}.{} "
        "({})\\n{}\"];\n",
        r.id, DotEscape(r.pipeline), DotEscape(r.step), DotEscape(r.kind), r.id.substr(0, 13));
  }
  for (const auto& e : g.edges)
    out += fmt::format("  \"{}\" -> \"{}\" [label=\"{}\"];\n", e.from, e.to, DotEscape(e.role));
  return out + "}\n";
}

// Indented tree from `root`, following edges backwards (up) or forwards (down).
std::string Tree(const catalog::LineageGraph& g, const std::string& root, bool up) {
  std::map<std::string, const catalog::ArtifactRecord*> artifacts;
  std::map<std::string, const catalog::RunRecord*> runs;
  for (const auto& a : g.artifacts) artifacts[a.id] = &a;
  for (const auto& r : g.runs) runs[r.id] = &r;
  std::multimap<std::string, std::pair<std::string, std::string>> next;  // node → (neighbour, role)
  for (const auto& e : g.edges) {
    if (up) {
      next.emplace(e.to, std::make_pair(e.from, e.role));
    } else {
      next.emplace(e.from, std::make_pair(e.to, e.role));
    }
  }
  // The edge role reads differently by direction: walking up, a run is the
  // producer of its child's parent and an artifact is an input; walking down,
  // the reverse.
  auto label = [&](const std::string& id, const std::string& role) {
    if (auto a = artifacts.find(id); a != artifacts.end()) {
      std::string via = role.empty() ? "" : fmt::format("{} '{}': ", up ? "input" : "output", role);
      return fmt::format("{}{} {} {}", via, a->second->kind, a->second->name, a->second->id);
    }
    if (auto r = runs.find(id); r != runs.end()) {
      std::string via =
          role.empty() ? "" : fmt::format(" ({} '{}')", up ? "as output" : "as input", role);
      return fmt::format("{} run {}.{} [{}] {} {}{}", up ? "produced by" : "consumed by",
                         r->second->pipeline, r->second->step, r->second->kind, r->second->id,
                         catalog::RunStatusName(r->second->status), via);
    }
    return role + " " + id;
  };
  std::string out = label(root, "") + "\n";
  std::set<std::string> on_path;
  std::function<void(const std::string&, const std::string&)> walk =
      [&](const std::string& node, const std::string& indent) {
        auto [begin, end] = next.equal_range(node);
        for (auto it = begin; it != end; ++it) {
          bool last = std::next(it) == end;
          const auto& [child, role] = it->second;
          out += indent + (last ? "└─ " : "├─ ") + label(child, role) + "\n";
          if (on_path.insert(child).second) {
            walk(child, indent + (last ? "   " : "│  "));
            on_path.erase(child);
          }
        }
      };
  on_path.insert(root);
  walk(root, "");
  return out;
}

// --columns: which input columns fed each feature.
Status ColumnLineage(workload::Workspace& ws, const std::string& id, bool json) {
  ASSIGN_OR_RETURN(Json lineage, workload::ColumnLineage(ws, id));
  if (json) {
    PrintJson(lineage);
    return Status::Ok();
  }
  if (lineage.contains("model")) {
    fmt::print("model   {}  {}\n", lineage["model"]["id"].get<std::string>(),
               lineage["model"]["name"].get<std::string>());
  }
  fmt::print("dataset {}  {}\n", lineage["dataset"]["id"].get<std::string>(),
             lineage["dataset"]["name"].get<std::string>());
  for (const Json& source : lineage["sources"]) {
    fmt::print("source  {}  {} ({})\n", source["id"].get<std::string>(),
               source["name"].get<std::string>(), source["role"].get<std::string>());
  }
  size_t width = 8;
  for (const Json& f : lineage["features"]) {
    width = std::max(width, f["name"].get<std::string>().size());
  }
  width = std::min<size_t>(width, 40);
  fmt::print("\n{:<{}}  ← input columns\n", "feature", width);
  for (const Json& f : lineage["features"]) {
    std::string inputs;
    for (const Json& in : f["inputs"]) {
      inputs += fmt::format("{}{}", inputs.empty() ? "" : ", ", in.get<std::string>());
    }
    fmt::print("{:<{}}  ← {}\n", f["name"].get<std::string>(), width,
               inputs.empty() ? "(none: a constant)" : inputs);
  }
  return Status::Ok();
}

// Newline-delimited JSON, sorted by eventTime: what OpenLineage's file
// transport writes, so the output can be replayed into Marquez line by line.
Status OpenLineage(workload::Workspace& ws, const std::string& id,
                   catalog::LineageDirection direction, const std::string& lineage_namespace) {
  ASSIGN_OR_RETURN(std::vector<Json> events,
                   workload::OpenLineageEvents(ws, id, direction, lineage_namespace));
  std::string out;
  for (const Json& event : events) out += event.dump() + "\n";
  fmt::print("{}", out);
  return Status::Ok();
}

struct LineageOptions {
  std::string ref;
  bool up = false;
  bool down = false;
  bool json = false;
  bool dot = false;
  bool columns = false;
  bool openlineage = false;
  std::string lineage_namespace;
};

Status Lineage(const Globals& globals, const LineageOptions& o) {
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
  ASSIGN_OR_RETURN(std::string id, workload::ResolveArtifactRef(ws->catalog(), o.ref));
  if (o.columns) return ColumnLineage(*ws, id, o.json);
  const auto direction = o.down ? catalog::LineageDirection::kDown : catalog::LineageDirection::kUp;
  if (o.openlineage) return OpenLineage(*ws, id, direction, o.lineage_namespace);
  ASSIGN_OR_RETURN(auto graph, ws->catalog().Lineage(id, direction));
  if (o.json) {
    Json out = GraphJson(graph);
    out["root"] = id;
    out["direction"] = o.down ? "down" : "up";
    PrintJson(out);
  } else if (o.dot) {
    fmt::print("{}", Dot(graph));
  } else {
    fmt::print("{}", Tree(graph, id, !o.down));
  }
  return Status::Ok();
}

}  // namespace

void AddLineageCommand(CLI::App& app, Command& cmd) {
  auto* lineage = app.add_subcommand(
      "lineage",
      "Show where an artifact came from (--up, default) or what was made from it (--down)");
  auto o = std::make_shared<LineageOptions>();
  lineage->add_option("ref", o->ref, "Artifact reference")->required();
  auto* up_flag =
      lineage->add_flag("--up", o->up, "Ancestors: runs and inputs that produced it (default)");
  lineage->add_flag("--down", o->down, "Descendants: runs and outputs made from it")
      ->excludes(up_flag);
  auto* json_flag = lineage->add_flag("--json", o->json, "JSON graph {nodes, edges}");
  auto* dot_flag = lineage->add_flag("--dot", o->dot, "Graphviz DOT")->excludes(json_flag);
  auto* columns_flag =
      lineage
          ->add_flag("--columns", o->columns,
                     "Column-level lineage of a dataset or model: the input columns behind each "
                     "feature")
          ->excludes(dot_flag);
  auto* openlineage_flag =
      lineage
          ->add_flag("--openlineage", o->openlineage,
                     "OpenLineage 2-0-2 run events (START and COMPLETE/FAIL/ABORT) of every run "
                     "in the lineage, one JSON object a line, sorted by eventTime")
          ->excludes(json_flag)
          ->excludes(dot_flag)
          ->excludes(columns_flag);
  lineage
      ->add_option("--namespace", o->lineage_namespace,
                   "OpenLineage namespace of jobs and datasets (default: "
                   "citadel://HOST/WORKSPACE_PATH)")
      ->needs(openlineage_flag);
  lineage->callback([&cmd, o] { cmd.action = [&cmd, o] { return Lineage(cmd.globals, *o); }; });
}

}  // namespace citadel::cli
