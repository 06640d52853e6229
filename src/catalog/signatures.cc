// Catalog: signature bundles of artifacts and attestations of runs.
#include <fmt/format.h>

#include "base/time.h"
#include "catalog/catalog.h"

namespace citadel::catalog {

Status Catalog::PutSignature(const SignatureRecord& signature) {
  ASSIGN_OR_RETURN(auto q, db_->Prepare("INSERT OR REPLACE INTO signature (artifact_id, signer, "
                                        "bundle, created_at) VALUES (?1, ?2, ?3, ?4)"));
  q.Bind(1, signature.artifact_id)
      .Bind(2, signature.signer)
      .Bind(3, signature.bundle)
      .Bind(4, signature.created_at.empty() ? NowIso8601() : signature.created_at);
  Status s = q.Run();
  if (!s.ok()) {
    return s.WithContext(fmt::format("recording the signature of {}", signature.artifact_id));
  }
  return Status::Ok();
}

Result<std::vector<SignatureRecord>> Catalog::Signatures(const std::string& artifact_id) {
  ASSIGN_OR_RETURN(auto q, db_->Prepare("SELECT artifact_id, signer, bundle, created_at FROM "
                                        "signature WHERE artifact_id = ?1 ORDER BY created_at"));
  q.Bind(1, artifact_id);
  return CollectRows(q, [](const SqliteStatement& row) {
    return SignatureRecord{row.ColumnText(0), row.ColumnText(1), row.ColumnText(2),
                           row.ColumnText(3)};
  });
}

Status Catalog::PutAttestation(const AttestationRecord& attestation) {
  ASSIGN_OR_RETURN(auto q, db_->Prepare("INSERT OR REPLACE INTO attestation (run_id, "
                                        "predicate_type, signer, bundle, created_at) VALUES (?1, "
                                        "?2, ?3, ?4, ?5)"));
  q.Bind(1, attestation.run_id)
      .Bind(2, attestation.predicate_type)
      .Bind(3, attestation.signer)
      .Bind(4, attestation.bundle)
      .Bind(5, attestation.created_at.empty() ? NowIso8601() : attestation.created_at);
  Status s = q.Run();
  if (!s.ok()) {
    return s.WithContext(fmt::format("recording the attestation of run {}", attestation.run_id));
  }
  return Status::Ok();
}

Result<std::optional<AttestationRecord>> Catalog::Attestation(const std::string& run_id,
                                                              std::string_view predicate_type) {
  ASSIGN_OR_RETURN(auto q, db_->Prepare("SELECT run_id, predicate_type, signer, bundle, "
                                        "created_at FROM attestation WHERE run_id = ?1 AND "
                                        "predicate_type = ?2"));
  q.Bind(1, run_id).Bind(2, std::string(predicate_type));
  ASSIGN_OR_RETURN(
      std::vector<AttestationRecord> rows, CollectRows(q, [](const SqliteStatement& row) {
        return AttestationRecord{row.ColumnText(0), row.ColumnText(1), row.ColumnText(2),
                                 row.ColumnText(3), row.ColumnText(4)};
      }));
  if (rows.empty()) return std::optional<AttestationRecord>();
  return std::optional<AttestationRecord>(std::move(rows.front()));
}

}  // namespace citadel::catalog
