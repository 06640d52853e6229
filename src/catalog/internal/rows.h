// Column lists and row decoders shared by the catalog's .cc files.
#pragma once

#include "catalog/records.h"
#include "catalog/sqlite.h"

namespace citadel::catalog::internal {

inline constexpr std::string_view kArtifactColumns =
    "a.id, a.kind, a.name, a.media_type, a.size, a.created_by_run, a.created_at, a.metadata";
ArtifactRecord ArtifactFromRow(const SqliteStatement& row);

inline constexpr std::string_view kRunColumns =
    "r.id, r.pipeline, r.step, r.kind, r.status, r.spec, r.spec_digest, r.cache_key, "
    "r.cached_from, r.seed, r.env, r.started_at, r.finished_at, r.message";
RunRecord RunFromRow(const SqliteStatement& row);

// Parses a JSON column written by the catalog itself; a damaged value becomes
// {"_unparseable": text} rather than an exception.
Json JsonColumn(const SqliteStatement& row, int column);

}  // namespace citadel::catalog::internal
