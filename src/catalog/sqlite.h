// Thin RAII layer over the SQLite C API: one place that owns sqlite3* and
// sqlite3_stmt* handles and turns SQLite errors into Status.
//
// A SqliteDb is not thread-safe; give each thread its own connection (WAL mode
// lets them read concurrently with one writer).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace citadel::catalog {

class SqliteStatement {
 public:
  ~SqliteStatement();
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&&) = delete;
  SqliteStatement(const SqliteStatement&) = delete;

  // Parameters are 1-based, as in SQL (?1, ?2 …).
  SqliteStatement& Bind(int index, std::string_view value);
  SqliteStatement& Bind(int index, int64_t value);
  SqliteStatement& Bind(int index, double value);
  SqliteStatement& BindNull(int index);
  SqliteStatement& BindOptional(int index, const std::optional<std::string>& value);

  // true while a row is available; false at the end.
  Result<bool> Step();
  // Runs to completion, ignoring rows.
  Status Run();
  void Reset();

  std::string ColumnText(int column) const;  // "" for NULL
  std::optional<std::string> ColumnOptionalText(int column) const;
  int64_t ColumnInt(int column) const;
  double ColumnDouble(int column) const;
  bool ColumnIsNull(int column) const;

 private:
  friend class SqliteDb;
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// Steps `statement` to the end, decoding each row with `decode(statement)`.
template <typename Decode>
auto CollectRows(SqliteStatement& statement, Decode decode)
    -> Result<std::vector<decltype(decode(statement))>> {
  std::vector<decltype(decode(statement))> rows;
  while (true) {
    ASSIGN_OR_RETURN(bool row, statement.Step());
    if (!row) return rows;
    rows.push_back(decode(statement));
  }
}

// The SQLite library this process runs with ("3.40.1").
std::string SqliteVersion();

class SqliteDb {
 public:
  // Opens (creating) the database file in WAL mode with foreign keys on and a
  // busy timeout so concurrent processes wait instead of failing.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::filesystem::path& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  Status Exec(std::string_view sql);
  Result<SqliteStatement> Prepare(std::string_view sql);

  // BEGIN IMMEDIATE … COMMIT around `body`; ROLLBACK if it fails.
  template <typename F>
  Status Transaction(F&& body) {
    RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Status status = body();
    if (!status.ok()) {
      Exec("ROLLBACK").IgnoreError();
      return status;
    }
    Status committed = Exec("COMMIT");
    // A failed COMMIT (disk full, I/O error) can leave the transaction open;
    // without a rollback every later BEGIN would fail on this connection.
    if (!committed.ok() && InTransaction()) Exec("ROLLBACK").IgnoreError();
    return committed;
  }

  bool InTransaction() const;

  int64_t Changes() const;
  const std::filesystem::path& path() const { return path_; }

 private:
  SqliteDb(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::filesystem::path path_;
};

}  // namespace citadel::catalog
