// Catalog: signature bundles of artifacts.
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

}  // namespace citadel::catalog
