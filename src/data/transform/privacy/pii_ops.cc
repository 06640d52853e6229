// Privacy transforms: remove or pseudonymise PII in string columns before a
// dataset is written.
//
//   - { op: redact, columns: pii, replacement: kind }   # "mail a@b.com" → "mail [EMAIL]"
//   - { op: redact, columns: [notes], replacement: mask }  # a cell with PII → "***"
//   - { op: hash, columns: [email, phone], output_bytes: 16 }
//   - { op: drop, columns: pii }
//
// Spec fields (all three):
//   columns  a name, a list of names, all_string, or pii: at fit, every string column
//            (for drop also every int column) in which data::FindPii finds at least
//            one value on the training rows; never the label. The resolved list is stored, so
//            serving treats exactly the same columns.
// redact:
//   replacement  kind (default): each FindPii match becomes "[EMAIL]", "[PHONE]",
//                "[PAYMENT_CARD]", "[IBAN]", "[NATIONAL_ID]" or "[IP_ADDRESS]";
//                mask: a cell with at least one match becomes "***"
//   Cells without a match are kept as they are.
// hash:
//   output_bytes  in [4, 32], default 16: each present cell becomes the hex of
//                 HMAC-SHA256(key, value) cut to that many bytes (2x hex chars), so
//                 equal values stay equal (joins, counts) but cannot be reversed
//                 without the key.
//   The key is TransformEnv::pii_hmac_key, from the workspace; without one the
//   op refuses to build. The key is never stored: fitted holds its id
//   (PiiKeyId), and Apply refuses a different key, whose hashes would not match.
// drop: removes the columns; one already absent from a table (a serving
//   request that omits it) is fine.
//
// Fitted: {"columns": [resolved names]}, plus "key_id" for hash.
//
// redact and hash keep the column (name, sources) and its missing cells
// (missing stays missing; an empty string is a value and is hashed). They
// refuse non-string columns. FindPii and HMAC are linear in the cell's
// length, so a 1 MB cell costs one pass. Nothing is learned from values, so
// there is no unseen value.
#include "data/transform/privacy/pii_ops.h"

#include <fmt/format.h>

#include "crypto/hmac.h"
#include "crypto/sha256.h"
#include "data/pii/pii_detector.h"
#include "data/transform/categorical/categorical_ops.h"
#include "data/transform/categorical/category_cells.h"
#include "data/transform/column_selection.h"

namespace citadel::data {
namespace {

// "[EMAIL]", "[PAYMENT_CARD]", …: the kind name in capitals, so a reader of
// the redacted text sees what was there.
std::string KindLabel(PiiKind kind) {
  std::string label = "[";
  for (char ch : PiiKindName(kind)) {
    label += ch >= 'a' && ch <= 'z' ? static_cast<char>(ch - 'a' + 'A') : ch;
  }
  return label + "]";
}

// `columns:` of a privacy op: a ColumnSelection, or `pii`.
class PiiSelection {
 public:
  static Result<PiiSelection> Parse(const SpecReader& item) {
    PiiSelection sel;
    if (item.Has("columns") && item.json()["columns"] == "pii") {
      sel.pii_ = true;
      return sel;
    }
    ASSIGN_OR_RETURN(sel.names_, ColumnSelection::Parse(item));
    return sel;
  }

  // The columns to process; with `strings_only`, each must be a string column.
  Result<std::vector<std::string>> Resolve(const Table& table, std::span<const size_t> fit_rows,
                                           std::string_view op, bool strings_only) const {
    if (!pii_) {
      ASSIGN_OR_RETURN(std::vector<std::string> names, names_.Resolve(table, op));
      for (const std::string& name : names) {
        if (strings_only) RETURN_IF_ERROR(CheckString(*table.Find(name), op));
      }
      return names;
    }
    // drop also takes int columns: a phone or card number read as a number
    // is still PII (pii/pii_policy.h scans their text for the same reason).
    std::vector<std::string> names;
    for (const Column& c : table.columns) {
      bool scanned = c.is_string() || (!strings_only && c.type == ColumnType::kInt);
      if (c.name == table.label || !scanned) continue;
      for (size_t r : fit_rows) {
        if (c.is_valid(r) &&
            !FindPii(c.is_string() ? c.strings[r] : std::to_string(c.ints[r])).empty()) {
          names.push_back(c.name);
          break;
        }
      }
    }
    return names;
  }

  Json ToJson() const { return pii_ ? Json("pii") : names_.ToJson(); }

  static Status CheckString(const Column& c, std::string_view op) {
    if (c.is_string()) return Status::Ok();
    return InvalidArgumentError(fmt::format(
        "{}: column '{}' is {}; {} rewrites string columns (use drop to remove another column)", op,
        c.name, ColumnTypeName(c.type), op));
  }

 private:
  bool pii_ = false;
  ColumnSelection names_;
};

// Shared by the three ops: the selection and, after fitting, the resolved columns.
class PrivacyOp : public ColumnTransform {
 public:
  PrivacyOp(std::string_view op, PiiSelection selection)
      : op_(op), selection_(std::move(selection)) {}

  std::string_view op() const override { return op_; }

  Status Fit(const Table& table, std::span<const size_t> fit_rows) override {
    ASSIGN_OR_RETURN(columns_, selection_.Resolve(table, fit_rows, op_, op_ != "drop"));
    return Status::Ok();
  }

  Json ToJson() const override {
    Json j = {{"op", op_}, {"columns", selection_.ToJson()}};
    Json fitted = {{"columns", columns_}};
    AddFields(j, fitted);
    j["fitted"] = std::move(fitted);
    return j;
  }

  Status LoadFitted(const Json& fitted) override {
    return ReadFitted(fitted, "columns", op_, columns_);
  }

 protected:
  // Adds the op's own spec and fitted fields.
  virtual void AddFields(Json& spec, Json& fitted) const = 0;

  // Rewrites every present cell of every string column with `rewrite`.
  template <typename F>
  Status RewriteCells(Table& table, F rewrite) const {
    for (const std::string& name : columns_) {
      ASSIGN_OR_RETURN(Column * c, table.Get(name, op_));
      RETURN_IF_ERROR(PiiSelection::CheckString(*c, op_));
      for (size_t r = 0; r < c->size(); ++r) {
        if (c->is_valid(r)) rewrite(c->strings[r]);
      }
    }
    return Status::Ok();
  }

  std::string_view op_;
  PiiSelection selection_;
  std::vector<std::string> columns_;
};

class Redact : public PrivacyOp {
 public:
  Redact(PiiSelection selection, bool mask)
      : PrivacyOp("redact", std::move(selection)), mask_(mask) {}

  Status Apply(Table& table) const override {
    return RewriteCells(table, [this](std::string& cell) {
      std::vector<PiiMatch> matches = FindPii(cell);
      if (matches.empty()) return;
      if (mask_) {
        cell = "***";
        return;
      }
      std::string out;
      size_t pos = 0;
      for (const PiiMatch& m : matches) {
        out.append(cell, pos, m.offset - pos);
        out += KindLabel(m.kind);
        pos = m.offset + m.length;
      }
      out.append(cell, pos);
      cell = std::move(out);
    });
  }

 private:
  void AddFields(Json& spec, Json&) const override {
    spec["replacement"] = mask_ ? "mask" : "kind";
  }

  bool mask_;
};

class Hash : public PrivacyOp {
 public:
  Hash(PiiSelection selection, int64_t output_bytes, std::string key)
      : PrivacyOp("hash", std::move(selection)),
        output_bytes_(output_bytes),
        key_(std::move(key)),
        key_id_(PiiKeyId(key_)) {}

  Status Fit(const Table& table, std::span<const size_t> fit_rows) override {
    fitted_key_id_ = key_id_;
    return PrivacyOp::Fit(table, fit_rows);
  }

  Status Apply(Table& table) const override {
    if (fitted_key_id_ != key_id_) {
      return FailedPreconditionError(fmt::format(
          "hash: dataset was hashed with key id {}, this workspace has {}; its hashed values "
          "would not match new ones: use the workspace (keys/pii-hmac.key) that prepared the "
          "dataset, or prepare it again here",
          fitted_key_id_, key_id_));
    }
    const auto hex_chars = static_cast<size_t>(2 * output_bytes_);
    return RewriteCells(table, [&](std::string& cell) {
      cell = crypto::HmacSha256(key_, cell).Hex().substr(0, hex_chars);
    });
  }

  Status LoadFitted(const Json& fitted) override {
    RETURN_IF_ERROR(PrivacyOp::LoadFitted(fitted));
    RETURN_IF_ERROR(ReadFitted(fitted, "key_id", op_, fitted_key_id_));
    bool hex = fitted_key_id_.size() == 8 &&
               fitted_key_id_.find_first_not_of("0123456789abcdef") == std::string::npos;
    if (!hex) {
      return InvalidArgumentError(
          fmt::format("hash: fitted.key_id must be 8 lowercase hex characters, got {}",
                      Quoted(fitted_key_id_)));
    }
    return Status::Ok();
  }

 private:
  // The key itself never enters the JSON: only its id.
  void AddFields(Json& spec, Json& fitted) const override {
    spec["output_bytes"] = output_bytes_;
    fitted["key_id"] = fitted_key_id_;
  }

  int64_t output_bytes_;
  std::string key_;
  std::string key_id_;         // of key_
  std::string fitted_key_id_;  // of the key the dataset was hashed with
};

class Drop : public PrivacyOp {
 public:
  explicit Drop(PiiSelection selection) : PrivacyOp("drop", std::move(selection)) {}

  Status Apply(Table& table) const override {
    for (const std::string& name : columns_) table.Remove(name);
    return Status::Ok();
  }

 private:
  void AddFields(Json&, Json&) const override {}
};

Result<std::unique_ptr<ColumnTransform>> MakeRedact(const SpecReader& item, const TransformEnv&) {
  RETURN_IF_ERROR(item.ExpectObject({"op", "columns", "replacement"}));
  ASSIGN_OR_RETURN(PiiSelection sel, PiiSelection::Parse(item));
  ASSIGN_OR_RETURN(std::string replacement, item.String("replacement", "kind"));
  RETURN_IF_ERROR(CheckChoice(item, "replacement", replacement, {"kind", "mask"}));
  return std::unique_ptr<ColumnTransform>(
      std::make_unique<Redact>(std::move(sel), replacement == "mask"));
}

Result<std::unique_ptr<ColumnTransform>> MakeHash(const SpecReader& item, const TransformEnv& env) {
  RETURN_IF_ERROR(item.ExpectObject({"op", "columns", "output_bytes"}));
  ASSIGN_OR_RETURN(PiiSelection sel, PiiSelection::Parse(item));
  ASSIGN_OR_RETURN(int64_t output_bytes, item.Int("output_bytes", 4, 32, 16));
  if (env.pii_hmac_key.empty()) {
    return item.Error(
        "op: hash needs the PII key that the workspace provides (keys/pii-hmac.key), and none "
        "was given; run the step inside a Citadel workspace, or use redact or drop");
  }
  return std::unique_ptr<ColumnTransform>(
      std::make_unique<Hash>(std::move(sel), output_bytes, env.pii_hmac_key));
}

Result<std::unique_ptr<ColumnTransform>> MakeDrop(const SpecReader& item, const TransformEnv&) {
  RETURN_IF_ERROR(item.ExpectObject({"op", "columns"}));
  ASSIGN_OR_RETURN(PiiSelection sel, PiiSelection::Parse(item));
  return std::unique_ptr<ColumnTransform>(std::make_unique<Drop>(std::move(sel)));
}

}  // namespace

bool IsPrivacyOp(std::string_view op) { return op == "redact" || op == "hash" || op == "drop"; }

std::string PiiKeyId(std::string_view key) {
  crypto::Sha256 h;
  h.Update("citadel-pii-key-id");
  h.Update(key);
  return h.Finish().Hex().substr(0, 8);
}

void AddPiiOps(std::vector<TransformOp>& ops) {
  ops.push_back({"redact", MakeRedact});
  ops.push_back({"hash", MakeHash});
  ops.push_back({"drop", MakeDrop});
}

}  // namespace citadel::data
