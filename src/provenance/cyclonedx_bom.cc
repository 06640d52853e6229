#include "provenance/cyclonedx_bom.h"

#include <fmt/format.h>

#include "crypto/digest_id.h"

namespace citadel::provenance {
namespace {

using crypto::DigestHexOf;

Json Sha256Hash(std::string_view hex) {
  return Json::array({{{"alg", "SHA-256"}, {"content", std::string(hex)}}});
}

Json PropertiesJson(const BomProperties& properties) {
  Json out = Json::array();
  for (const auto& [name, value] : properties) out.push_back({{"name", name}, {"value", value}});
  return out;
}

std::string FileRef(const std::string& artifact_id, const std::string& path) {
  return artifact_id + "#" + path;
}

std::string LibraryRef(const BomLibrary& library) {
  return library.version.empty() ? "library:" + library.name
                                 : fmt::format("library:{}@{}", library.name, library.version);
}

// The files of an artifact as nested `file` components.
Json FileComponents(const BomArtifact& artifact) {
  Json files = Json::array();
  for (const BomFile& f : artifact.files) {
    files.push_back({{"type", "file"},
                     {"bom-ref", FileRef(artifact.id, f.path)},
                     {"name", f.path},
                     {"hashes", Sha256Hash(f.sha256)},
                     {"properties", PropertiesJson({{"citadel:size", std::to_string(f.size)}})}});
  }
  return files;
}

BomProperties ArtifactProperties(const BomArtifact& artifact) {
  BomProperties p = {{"citadel:artifact", artifact.id},
                     {"citadel:kind", artifact.kind},
                     {"citadel:media_type", artifact.media_type},
                     {"citadel:size", std::to_string(artifact.size)}};
  p.emplace_back("citadel:created_by_run", artifact.created_by_run.empty()
                                               ? "none (read from outside)"
                                               : artifact.created_by_run);
  p.insert(p.end(), artifact.properties.begin(), artifact.properties.end());
  return p;
}

Json DataComponent(const BomArtifact& artifact) {
  Json data = {{"type", "dataset"}, {"name", artifact.name}};
  if (!artifact.sensitive_data.empty()) data["sensitiveData"] = artifact.sensitive_data;
  data["description"] =
      artifact.kind == "source"
          ? "A file read from outside, stored by content"
          : fmt::format("A {} artifact produced by run {}", artifact.kind, artifact.created_by_run);
  return {{"type", "data"},
          {"bom-ref", artifact.id},
          {"name", artifact.name},
          {"hashes", Sha256Hash(DigestHexOf(artifact.id))},
          {"data", Json::array({data})},
          {"components", FileComponents(artifact)},
          {"properties", PropertiesJson(ArtifactProperties(artifact))}};
}

Json ModelCard(const BomModel& m) {
  Json datasets = Json::array();
  for (const std::string& id : m.datasets) datasets.push_back({{"ref", id}});
  Json inputs = Json::array(), outputs = Json::array();
  for (const std::string& f : m.inputs) inputs.push_back({{"format", f}});
  for (const std::string& f : m.outputs) outputs.push_back({{"format", f}});
  Json parameters = {{"approach", {{"type", "supervised"}}}, {"datasets", datasets}};
  if (!m.task.empty()) parameters["task"] = m.task;
  if (!m.architecture_family.empty()) parameters["architectureFamily"] = m.architecture_family;
  if (!m.architecture.empty()) parameters["modelArchitecture"] = m.architecture;
  if (!inputs.empty()) parameters["inputs"] = inputs;
  if (!outputs.empty()) parameters["outputs"] = outputs;
  Json card = {{"bom-ref", m.artifact.id + "#model-card"}, {"modelParameters", parameters}};
  if (!m.metrics.empty()) {
    Json metrics = Json::array();
    for (const BomMetric& metric : m.metrics) {
      Json j = {{"type", metric.type}, {"value", fmt::format("{:.6g}", metric.value)}};
      if (!metric.slice.empty()) j["slice"] = metric.slice;
      metrics.push_back(std::move(j));
    }
    card["quantitativeAnalysis"] = {{"performanceMetrics", metrics}};
  }
  BomProperties training;
  for (const auto& [name, value] : m.training)
    training.emplace_back("citadel:training:" + name, value);
  if (!training.empty()) card["properties"] = PropertiesJson(training);
  return card;
}

Json ModelComponent(const BomModel& m) {
  BomProperties properties = ArtifactProperties(m.artifact);
  properties.emplace_back("citadel:signature", m.signature);
  properties.emplace_back("citadel:provenance", m.provenance);
  properties.emplace_back(
      "citadel:scan",
      m.findings.empty()
          ? fmt::format("clean ({} files, {} policy)", m.scanned_files, m.scan_policy)
          : fmt::format("{} finding(s) in {} files, {} policy: see vulnerabilities",
                        m.findings.size(), m.scanned_files, m.scan_policy));
  Json component = {
      {"type", "machine-learning-model"},
      {"bom-ref", m.artifact.id},
      {"name", m.artifact.name},
      {"version", m.version.empty()
                      ? "sha256:" + std::string(DigestHexOf(m.artifact.id).substr(0, 12))
                      : m.version},
      {"hashes", Sha256Hash(DigestHexOf(m.artifact.id))},
      {"components", FileComponents(m.artifact)},
      {"modelCard", ModelCard(m)},
      {"properties", PropertiesJson(properties)}};
  if (!m.attestation_run.empty()) {
    component["externalReferences"] = Json::array(
        {{{"type", "attestation"},
          {"url", "citadel:run/" + m.attestation_run},
          {"comment", fmt::format("SLSA Provenance v1 of the run that produced the model "
                                  "(`citadel provenance {}`): {}",
                                  m.attestation_run, m.provenance)}}});
  }
  return component;
}

Json Vulnerabilities(const BomModel& m) {
  Json out = Json::array();
  for (size_t i = 0; i < m.findings.size(); ++i) {
    const BomFinding& f = m.findings[i];
    const std::string where = f.entry.empty() ? f.file : f.file + "!" + f.entry;
    out.push_back(
        {{"bom-ref", fmt::format("scan-finding-{}", i + 1)},
         {"id", "CITADEL-SCAN-" + f.rule},
         {"source", {{"name", "citadel scan"}}},
         {"ratings", Json::array({{{"severity", f.severity == "dangerous" ? "critical" : "medium"},
                                   {"method", "other"},
                                   {"justification", f.severity}}})},
         {"description", fmt::format("{}: {}", where, f.detail)},
         {"affects", Json::array({{{"ref", FileRef(m.artifact.id, f.file)}}})}});
  }
  return out;
}

}  // namespace

Json CycloneDxBom(const BomInput& in) {
  Json components = Json::array();
  for (const BomArtifact& a : in.data) components.push_back(DataComponent(a));
  Json library_refs = Json::array();
  for (const BomLibrary& lib : in.libraries) {
    Json component = {{"type", lib.name == "citadel" ? "application" : "library"},
                      {"bom-ref", LibraryRef(lib)},
                      {"name", lib.name},
                      {"description", lib.description}};
    if (!lib.version.empty()) component["version"] = lib.version;
    components.push_back(std::move(component));
    library_refs.push_back(LibraryRef(lib));
  }
  Json dependencies = Json::array();
  Json model_deps = library_refs;
  for (const std::string& id : in.model.artifact.derived_from) model_deps.push_back(id);
  dependencies.push_back({{"ref", in.model.artifact.id}, {"dependsOn", model_deps}});
  for (const BomArtifact& a : in.data) {
    dependencies.push_back({{"ref", a.id}, {"dependsOn", a.derived_from}});
  }
  for (const Json& ref : library_refs) {
    dependencies.push_back({{"ref", ref}, {"dependsOn", Json::array()}});
  }
  Json bom = {{"$schema", "http://cyclonedx.org/schema/bom-1.6.schema.json"},
              {"bomFormat", "CycloneDX"},
              {"specVersion", "1.6"},
              {"serialNumber", "urn:uuid:" + in.serial_uuid},
              {"version", 1},
              {"metadata",
               {{"timestamp", in.timestamp},
                {"tools",
                 {{"components", Json::array({{{"type", "application"},
                                               {"name", "citadel"},
                                               {"version", in.citadel_version}}})}}},
                {"component", ModelComponent(in.model)}}},
              {"components", components},
              {"dependencies", dependencies}};
  if (!in.model.findings.empty()) bom["vulnerabilities"] = Vulnerabilities(in.model);
  return bom;
}

}  // namespace citadel::provenance
