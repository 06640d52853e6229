#include "workload/model_bom.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include "base/ids.h"
#include "base/time.h"
#include "base/version.h"
#include "catalog/sqlite.h"
#include "crypto/signing_key.h"
#include "provenance/cyclonedx_bom.h"
#include "scan/model_scanner.h"
#include "workload/artifact_access.h"
#include "workload/artifact_signing.h"
#include "workload/provenance_chain.h"
#include "workload/run_attestation.h"

namespace citadel::workload {
namespace {

namespace pv = provenance;

pv::BomArtifact ToBom(const LoadedArtifact& a) {
  pv::BomArtifact out;
  out.id = a.record.id;
  out.kind = a.record.kind;
  out.name = a.record.name;
  out.media_type = a.record.media_type;
  out.size = a.record.size;
  out.created_by_run = a.record.created_by_run.value_or("");
  for (const auto& f : a.manifest.files()) out.files.push_back({f.path, f.digest.Hex(), f.size});
  return out;
}

std::string ArchitectureFamily(const std::string& arch) {
  if (arch == "mlp") return "multilayer perceptron";
  if (arch == "cnn") return "convolutional neural network";
  if (arch == "transformer") return "transformer encoder";
  if (arch == "torchscript") return "user TorchScript module";
  return arch;
}

std::string TensorFormat(const Json& tensor) {
  if (!tensor.is_object()) return "";
  std::vector<std::string> dims;
  for (const Json& d : tensor.value("shape", Json::array())) dims.push_back(d.dump());
  return fmt::format("{} {}[{}]", tensor.value("name", std::string("tensor")),
                     tensor.value("datatype", std::string("FP32")), fmt::join(dims, ","));
}

// "optimizer.lr" → "0.001": the training section flattened to strings.
void Flatten(const Json& value, const std::string& prefix, pv::BomProperties& out) {
  if (value.is_object()) {
    for (const auto& [k, v] : value.items()) Flatten(v, prefix.empty() ? k : prefix + "." + k, out);
  } else if (!value.is_null()) {
    out.emplace_back(prefix, value.is_string() ? value.get<std::string>() : value.dump());
  }
}

class BomGatherer {
 public:
  BomGatherer(Workspace& ws, const pv::TrustAnchors& anchors) : ws_(ws), anchors_(anchors) {}

  Result<Json> Gather(const std::string& artifact_id) {
    ASSIGN_OR_RETURN(LoadedArtifact model, LoadArtifact(ws_, artifact_id));
    if (model.record.kind != "model" && model.record.kind != "file") {
      return InvalidArgumentError(fmt::format(
          "{} ({}) is a {}: a bill of materials describes a model (or an imported model file); "
          "see its lineage with `citadel lineage {}`",
          artifact_id, model.record.name, model.record.kind, artifact_id));
    }
    in_.model.artifact = ToBom(model);
    RETURN_IF_ERROR(AddRegistryVersion());
    if (model.record.kind == "model") RETURN_IF_ERROR(AddModelCard(model));
    RETURN_IF_ERROR(AddLineage());
    RETURN_IF_ERROR(AddMetrics());
    RETURN_IF_ERROR(AddVerdicts(model));
    AddLibraries();
    in_.citadel_version = fmt::format("{} ({})", CitadelVersion(), CitadelGitCommit());
    in_.serial_uuid = NewUuidV7();
    in_.timestamp = NowIso8601();
    return pv::CycloneDxBom(in_);
  }

 private:
  Status AddRegistryVersion() {
    ASSIGN_OR_RETURN(std::vector<catalog::ModelVersion> versions,
                     ws_.catalog().ListModelVersions());
    for (const catalog::ModelVersion& v : versions) {
      if (v.artifact_id != in_.model.artifact.id) continue;
      in_.model.version = fmt::format("{}:{}", v.model, v.version);
      in_.model.artifact.properties.emplace_back("citadel:registered_as", in_.model.version);
    }
    return Status::Ok();
  }

  Status AddModelCard(const LoadedArtifact& model) {
    ASSIGN_OR_RETURN(std::string text, ReadArtifactFile(ws_, model, "model.json"));
    Json card = Json::parse(text, nullptr, false);
    if (!card.is_object()) {
      return DataLossError(
          fmt::format("model {}: model.json is not a JSON object", model.record.id));
    }
    const Json arch = card.value("architecture", Json::object());
    const std::string name = arch.is_object() ? arch.value("arch", std::string()) : "";
    in_.model.task = card.value("task", std::string());
    in_.model.architecture_family = ArchitectureFamily(name);
    in_.model.architecture = arch.dump();
    in_.model.inputs = {TensorFormat(card.value("input", Json()))};
    in_.model.outputs = {TensorFormat(card.value("output", Json()))};
    Flatten(card.value("training", Json::object()), "", in_.model.training);
    return Status::Ok();
  }

  // The model's inputs, then upstream through the runs that produced them.
  Status AddLineage() {
    const std::string& run = in_.model.artifact.created_by_run;
    if (run.empty()) return Status::Ok();
    ASSIGN_OR_RETURN(training_run_, ws_.catalog().GetRun(run));
    ASSIGN_OR_RETURN(std::vector<catalog::RunEdge> inputs, ws_.catalog().RunInputs(run));
    std::deque<std::string> queue;
    for (const catalog::RunEdge& e : inputs) {
      in_.model.artifact.derived_from.push_back(e.artifact_id);
      queue.push_back(e.artifact_id);
    }
    std::set<std::string> seen;
    while (!queue.empty()) {
      const std::string id = queue.front();
      queue.pop_front();
      if (!seen.insert(id).second) continue;
      ASSIGN_OR_RETURN(LoadedArtifact a, LoadArtifact(ws_, id));
      pv::BomArtifact bom = ToBom(a);
      const bool trained_on = std::any_of(inputs.begin(), inputs.end(),
                                          [&](const auto& e) { return e.artifact_id == id; });
      if (a.record.kind == "dataset" && trained_on) in_.model.datasets.push_back(id);
      if (a.record.created_by_run) {
        ASSIGN_OR_RETURN(std::vector<catalog::RunEdge> upstream,
                         ws_.catalog().RunInputs(*a.record.created_by_run));
        for (const catalog::RunEdge& e : upstream) {
          bom.derived_from.push_back(e.artifact_id);
          queue.push_back(e.artifact_id);
        }
        RETURN_IF_ERROR(NotePii(*a.record.created_by_run, upstream));
      }
      for (const auto& [k, v] : a.record.metadata.items()) {
        if (v.is_primitive()) {
          bom.properties.emplace_back("citadel:" + k,
                                      v.is_string() ? v.get<std::string>() : v.dump());
        }
      }
      index_[id] = in_.data.size();
      in_.data.push_back(std::move(bom));
    }
    for (auto& [source, pii] : pii_) {
      auto it = index_.find(source);
      if (it != index_.end()) in_.data[it->second].sensitive_data = pii;
    }
    return Status::Ok();
  }

  // The PII the process run `run` found in what it read, kept for its
  // source inputs (the report artifact it wrote holds pii.json).
  Status NotePii(const std::string& run, const std::vector<catalog::RunEdge>& inputs) {
    ASSIGN_OR_RETURN(std::vector<catalog::RunEdge> outputs, ws_.catalog().RunOutputs(run));
    for (const catalog::RunEdge& out : outputs) {
      if (out.role != "profile") continue;
      ASSIGN_OR_RETURN(LoadedArtifact report, LoadArtifact(ws_, out.artifact_id));
      if (!report.manifest.Find("pii.json")) continue;
      ASSIGN_OR_RETURN(std::string text, ReadArtifactFile(ws_, report, "pii.json"));
      const Json pii = Json::parse(text, nullptr, false);
      std::vector<std::string> found;
      if (pii.is_object() && pii.contains("columns") && pii["columns"].is_object()) {
        for (const auto& [column, kinds] : pii["columns"].items()) {
          if (!kinds.is_object()) continue;
          for (const auto& [kind, count] : kinds.items()) {
            found.push_back(fmt::format("{}: {} {} value(s) detected", column, count.dump(), kind));
          }
        }
      }
      for (const catalog::RunEdge& in : inputs) {
        if (!found.empty()) pii_[in.artifact_id] = found;
      }
    }
    return Status::Ok();
  }

  // Metrics of the evaluate runs that took this model.
  Status AddMetrics() {
    ASSIGN_OR_RETURN(
        catalog::LineageGraph down,
        ws_.catalog().Lineage(in_.model.artifact.id, catalog::LineageDirection::kDown));
    for (const catalog::RunRecord& run : down.runs) {
      if (run.kind != "evaluate" || run.status != catalog::RunStatus::kSucceeded) continue;
      ASSIGN_OR_RETURN(std::vector<catalog::RunEdge> inputs, ws_.catalog().RunInputs(run.id));
      bool took_model = false;
      std::string slice;
      for (const catalog::RunEdge& e : inputs) {
        if (e.artifact_id == in_.model.artifact.id) {
          took_model = true;
        } else {
          ASSIGN_OR_RETURN(catalog::ArtifactRecord d, ws_.catalog().GetArtifact(e.artifact_id));
          slice = d.name;
        }
      }
      if (!took_model) continue;
      ASSIGN_OR_RETURN(auto metrics, ws_.catalog().LastMetrics(run.id));
      for (const auto& [key, value] : metrics) in_.model.metrics.push_back({key, value, slice});
    }
    return Status::Ok();
  }

  Status AddVerdicts(const LoadedArtifact& model) {
    ASSIGN_OR_RETURN(auto signatures, ws_.catalog().Signatures(model.record.id));
    if (signatures.empty()) {
      in_.model.signature = "unsigned";
    } else {
      Result<pv::VerifiedModel> v = VerifyArtifact(ws_, model, anchors_);
      in_.model.signature =
          v.ok() ? "verified (" + v->signer + ")" : "failed: " + std::string(v.status().message());
    }
    ChainReport chain = VerifyProvenanceChain(ws_, model.record.id, anchors_);
    size_t sources = 0;
    for (const ChainLink& l : chain.links) sources += l.kind == "source";
    in_.model.provenance = chain.status.ok()
                               ? fmt::format("verified: {} links back to {} source file(s)",
                                             chain.links.size(), sources)
                               : "not verified: " + std::string(chain.status.message());
    if (!in_.model.artifact.created_by_run.empty()) {
      ASSIGN_OR_RETURN(auto attestation, RunAttestation(ws_, in_.model.artifact.created_by_run));
      if (attestation) in_.model.attestation_run = attestation->run_id;
    }
    in_.model.scan_policy = "default";
    for (const auto& f : model.manifest.files()) {
      ASSIGN_OR_RETURN(MappedFile bytes, MapArtifactFile(ws_, model, f.path));
      const scan::FileReport report = scan::ScanBytes(bytes.bytes(), f.path, {});
      ++in_.model.scanned_files;
      for (const scan::Finding& finding : report.findings) {
        in_.model.findings.push_back({finding.path, finding.entry,
                                      std::string(scan::SeverityName(finding.severity)),
                                      finding.rule, finding.detail});
      }
    }
    return Status::Ok();
  }

  // What built the model: the versions its training run recorded, and the
  // libraries this process verifies and stores with.
  void AddLibraries() {
    in_.libraries.push_back({"citadel", CitadelVersion(), "the build system that produced it"});
    if (training_run_) {
      const Json& env = training_run_->env;
      const std::string torch = env.value("libtorch", std::string());
      if (!torch.empty()) in_.libraries.push_back({"libtorch", torch, "training runtime"});
      // The run records which BLAS library was loaded (a path), not its
      // version: the BOM names it and says where it came from.
      const std::string blas = env.value("blas", std::string());
      if (!blas.empty() && blas != "none loaded") {
        in_.libraries.push_back({blas.find("openblas") != std::string::npos ? "openblas" : "blas",
                                 "", "BLAS under libtorch, loaded from " + blas});
      }
    }
    in_.libraries.push_back({"openssl", crypto::OpenSslVersion(), "hashing and signatures"});
    in_.libraries.push_back({"sqlite", catalog::SqliteVersion(), "the catalog"});
  }

  Workspace& ws_;
  const pv::TrustAnchors& anchors_;
  pv::BomInput in_;
  std::optional<catalog::RunRecord> training_run_;
  std::map<std::string, size_t> index_;                  // artifact id → in_.data
  std::map<std::string, std::vector<std::string>> pii_;  // source id → PII found
};

}  // namespace

Result<Json> ModelBom(Workspace& ws, const std::string& artifact_id,
                      const provenance::TrustAnchors& anchors) {
  // model.json and the runs' records are Citadel's own, digest-checked; a
  // field of an unexpected type is still an error, never an escaped exception.
  try {
    return BomGatherer(ws, anchors).Gather(artifact_id);
  } catch (const Json::exception& e) {
    return DataLossError(fmt::format("{}: a stored record has a field of an unexpected type ({})",
                                     artifact_id, e.what()));
  }
}

}  // namespace citadel::workload
