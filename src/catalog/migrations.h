// Numbered schema migrations. The database records the number applied last in
// PRAGMA user_version; each migration runs in its own transaction, so a crash
// leaves the schema at a well-defined version. Never edit a migration that
// has shipped: append a new one.
#pragma once

#include <string_view>
#include <vector>

#include "base/status.h"
#include "catalog/sqlite.h"

namespace citadel::catalog {

struct Migration {
  int version;
  std::string_view description;
  std::string_view sql;
};

const std::vector<Migration>& AllMigrations();

// Applies every migration newer than the database's version. Refuses a
// database written by a newer Citadel (its version is above ours).
Status Migrate(SqliteDb& db);

}  // namespace citadel::catalog
