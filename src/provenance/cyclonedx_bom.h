// AI-BOM: a CycloneDX 1.6 JSON bill of materials for one model — the model
// (metadata.component, a `machine-learning-model` with a modelCard:
// approach, task, architecture, the datasets it was trained on by
// reference, inputs and outputs, evaluation metrics, training parameters),
// its files with their SHA-256, a `data` component for every dataset and
// source file it was derived from (their lineage in `dependencies`), the
// software that built it (citadel, libtorch, BLAS, OpenSSL, SQLite with
// versions), its signature and provenance verdicts, and the scanner's
// findings as `vulnerabilities`. The inputs are plain values: the workload
// layer gathers them from the catalog (workload/model_bom.h).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/text/json.h"

namespace citadel::provenance {

struct BomFile {
  std::string path;
  std::string sha256;  // hex
  uint64_t size = 0;
};

using BomProperties = std::vector<std::pair<std::string, std::string>>;

// A stored artifact: the model, a dataset or a source file.
struct BomArtifact {
  std::string id;  // "sha256:HEX": the bom-ref, and (HEX) the SHA-256 of its manifest
  std::string kind, name, media_type;
  uint64_t size = 0;
  std::vector<BomFile> files;
  std::string created_by_run;               // empty: read from outside
  std::vector<std::string> derived_from;    // ids of the artifacts its run read
  std::vector<std::string> sensitive_data;  // PII found in it, for a person
  BomProperties properties;
};

struct BomMetric {
  std::string type;  // "accuracy", "macro_f1", …
  double value = 0;
  std::string slice;  // the dataset it was measured on
};

struct BomLibrary {
  std::string name, version, description;
};

struct BomFinding {
  std::string file, entry, severity, rule, detail;
};

struct BomModel {
  BomArtifact artifact;
  std::string version;  // the registry's "name:version", or empty
  std::string task, architecture_family, architecture;
  std::vector<std::string> inputs, outputs;  // tensor formats, e.g. "FP32[-1,64]"
  std::vector<std::string> datasets;         // ids of the datasets it was trained on
  BomProperties training;                    // "epochs" → "30", …
  std::vector<BomMetric> metrics;
  std::string signature;   // the verdict: "verified (key sha256:…)", "unsigned", "failed: …"
  std::string provenance;  // the chain's verdict
  std::string attestation_run;  // the run whose signed provenance covers it
  std::string scan_policy;
  size_t scanned_files = 0;
  std::vector<BomFinding> findings;
};

struct BomInput {
  BomModel model;
  std::vector<BomArtifact> data;  // datasets and sources, the model's lineage
  std::vector<BomLibrary> libraries;
  std::string citadel_version;
  std::string serial_uuid;  // the BOM's serial number (a UUID)
  std::string timestamp;    // RFC 3339
};

Json CycloneDxBom(const BomInput& input);

}  // namespace citadel::provenance
