// citadel lineage REF [--up|--down] [--json|--dot]: as a tree, JSON graph or
// Graphviz.
#include <fmt/format.h>

#include <functional>
#include <map>
#include <set>

#include "cli.h"
#include "workload/dataset_reports.h"
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

Status Lineage(const Globals& globals, const std::string& ref, bool down, bool json, bool dot,
               bool columns) {
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
  ASSIGN_OR_RETURN(std::string id, workload::ResolveArtifactRef(ws->catalog(), ref));
  if (columns) return ColumnLineage(*ws, id, json);
  ASSIGN_OR_RETURN(auto graph, ws->catalog().Lineage(id, down ? catalog::LineageDirection::kDown
                                                              : catalog::LineageDirection::kUp));
  if (json) {
    Json out = GraphJson(graph);
    out["root"] = id;
    out["direction"] = down ? "down" : "up";
    PrintJson(out);
  } else if (dot) {
    fmt::print("{}", Dot(graph));
  } else {
    fmt::print("{}", Tree(graph, id, !down));
  }
  return Status::Ok();
}

}  // namespace

void AddLineageCommand(CLI::App& app, Command& cmd) {
  auto* lineage = app.add_subcommand(
      "lineage",
      "Show where an artifact came from (--up, default) or what was made from it (--down)");
  auto ref = std::make_shared<std::string>();
  auto up = std::make_shared<bool>(false);
  auto down = std::make_shared<bool>(false);
  auto json = std::make_shared<bool>(false);
  auto dot = std::make_shared<bool>(false);
  lineage->add_option("ref", *ref, "Artifact reference")->required();
  auto* up_flag =
      lineage->add_flag("--up", *up, "Ancestors: runs and inputs that produced it (default)");
  lineage->add_flag("--down", *down, "Descendants: runs and outputs made from it")
      ->excludes(up_flag);
  auto* json_flag = lineage->add_flag("--json", *json, "JSON graph {nodes, edges}");
  auto* dot_flag = lineage->add_flag("--dot", *dot, "Graphviz DOT")->excludes(json_flag);
  auto columns = std::make_shared<bool>(false);
  lineage
      ->add_flag("--columns", *columns,
                 "Column-level lineage of a dataset or model: the input columns behind each "
                 "feature")
      ->excludes(dot_flag);
  lineage->callback([&cmd, ref, down, json, dot, columns] {
    cmd.action = [&cmd, ref, down, json, dot, columns] {
      return Lineage(cmd.globals, *ref, *down, *json, *dot, *columns);
    };
  });
}

}  // namespace citadel::cli
