#include "data/ingest/cells/column_builder.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <unordered_map>

#include "base/text/utf8.h"

namespace citadel::data {
namespace {

using Kind = ColumnBuilder::Kind;

Kind KindOf(ColumnType type) {
  switch (type) {
    case ColumnType::kInt:
      return Kind::kInt;
    case ColumnType::kFloat:
      return Kind::kFloat;
    case ColumnType::kBool:
      return Kind::kBool;
    case ColumnType::kTimestamp:
      return Kind::kTimestamp;
    case ColumnType::kString:
      return Kind::kString;
  }
  return Kind::kString;
}

// 'a', 'b', … (at most 12 names shown).
std::string QuotedList(const std::vector<std::string>& names) {
  std::string out;
  size_t shown = std::min<size_t>(names.size(), 12);
  for (size_t i = 0; i < shown; ++i) out += fmt::format("{}'{}'", i == 0 ? "" : ", ", names[i]);
  if (shown < names.size()) out += fmt::format(", … ({} in all)", names.size());
  return names.empty() ? "(none)" : out;
}

}  // namespace

ColumnBuilder::ColumnBuilder(std::string name, std::optional<ColumnType> declared)
    : name_(std::move(name)), declared_(declared) {
  if (declared_) kind_ = KindOf(*declared_);
}

void ColumnBuilder::MarkMissing() {
  if (all_present_) {
    valid_.assign(rows_, 1);
    all_present_ = false;
  }
  valid_.push_back(0);
  ++rows_;
}

void ColumnBuilder::AppendMissing() {
  MarkMissing();
  switch (kind_) {
    case Kind::kUndecided:
      break;
    case Kind::kFloat:
      floats_.push_back(0.0);
      break;
    case Kind::kString:
      strings_.emplace_back();
      break;
    default:
      ints_.push_back(0);
  }
}

CellFit ColumnBuilder::AddText(std::string_view raw, const MissingTokens& missing) {
  std::string_view text = TrimBlanks(raw);
  if (missing.Contains(text)) {
    AppendMissing();
    return CellFit::kOk;
  }
  // The column's own type first: in a consistent column each cell is parsed once.
  int64_t i = 0;
  double f = 0;
  switch (kind_) {
    case Kind::kInt:
      if (ParseInt64Cell(text, i)) {
        AppendInt(i);
        if (i == 0 && text.front() == '-') NoteNegativeZero();
        return CellFit::kOk;
      }
      break;
    case Kind::kFloat:
      if (ParseDoubleCell(text, f)) {
        AppendFloat(f);
        return CellFit::kOk;
      }
      break;
    case Kind::kString:
      return AppendString(raw);
    // No text is both a bool or timestamp and a number, so the column's own
    // type may be tried before the number parsers.
    case Kind::kBool: {
      bool b = false;
      if (ParseBoolCell(text, b)) return AddTyped(Kind::kBool, b ? 1 : 0, 0, raw);
      break;
    }
    case Kind::kTimestamp:
      if (std::optional<int64_t> micros = ParseTimestamp(text)) {
        return AddTyped(Kind::kTimestamp, *micros, 0, raw);
      }
      break;
    default:
      break;
  }
  Kind natural = Kind::kString;
  bool b = false;
  if (ParseInt64Cell(text, i)) {
    natural = Kind::kInt;
  } else if (ParseDoubleCell(text, f)) {
    natural = Kind::kFloat;
  } else if (ParseBoolCell(text, b)) {
    natural = Kind::kBool;
    i = b ? 1 : 0;
  } else if (std::optional<int64_t> micros = ParseTimestamp(text)) {
    natural = Kind::kTimestamp;
    i = *micros;
  }
  return AddTyped(natural, i, f, raw);
}

CellFit ColumnBuilder::AddTyped(Kind natural, int64_t i, double f, std::string_view text) {
  if (declared_) return AddDeclared(natural, i, f, text);
  if (kind_ == Kind::kUndecided) Become(natural);
  if (natural == kind_) {
    switch (natural) {
      case Kind::kFloat:
        AppendFloat(f);
        return CellFit::kOk;
      case Kind::kString:
        return AppendString(text);
      default:
        AppendInt(i);
        if (natural == Kind::kInt && i == 0 && TrimBlanks(text).starts_with('-')) {
          NoteNegativeZero();
        }
        return CellFit::kOk;
    }
  }
  if (kind_ == Kind::kFloat && natural == Kind::kInt) {
    AppendFloat(static_cast<double>(i));
    return CellFit::kOk;
  }
  if (kind_ == Kind::kInt && natural == Kind::kFloat) {
    WidenToFloat();
    AppendFloat(f);
    return CellFit::kOk;
  }
  if (kind_ != Kind::kString) BecomeString();
  return AppendString(text);
}

CellFit ColumnBuilder::AddDeclared(Kind natural, int64_t i, double f, std::string_view text) {
  switch (kind_) {
    case Kind::kInt:
    case Kind::kTimestamp:
      if (natural != kind_) return CellFit::kWrongType;
      AppendInt(i);
      return CellFit::kOk;
    case Kind::kFloat:
      if (natural == Kind::kInt) {
        AppendFloat(static_cast<double>(i));
      } else if (natural == Kind::kFloat) {
        AppendFloat(f);
      } else {
        return CellFit::kWrongType;
      }
      return CellFit::kOk;
    case Kind::kBool:
      if (natural != Kind::kBool && !(natural == Kind::kInt && (i == 0 || i == 1))) {
        return CellFit::kWrongType;
      }
      AppendInt(i);
      return CellFit::kOk;
    case Kind::kString:
      return AppendString(text);
    case Kind::kUndecided:
      break;
  }
  return CellFit::kWrongType;
}

CellFit ColumnBuilder::AppendString(std::string_view raw) {
  if (!IsValidUtf8(raw)) return CellFit::kInvalidUtf8;
  MarkPresent();
  strings_.emplace_back(raw);
  return CellFit::kOk;
}

void ColumnBuilder::Reserve(size_t rows) {
  if (kind_ == Kind::kUndecided) return;
  if (!all_present_) valid_.reserve(rows);
  if (kind_ == Kind::kFloat) {
    floats_.reserve(rows);
  } else if (kind_ == Kind::kString) {
    strings_.reserve(rows);
  } else {
    ints_.reserve(rows);
  }
}

CellFit ColumnBuilder::SetText(size_t row, std::string_view raw) {
  if (!IsPresent(row)) return CellFit::kOk;
  if (!IsValidUtf8(raw)) return CellFit::kInvalidUtf8;
  strings_[row].assign(raw);
  return CellFit::kOk;
}

// Every cell so far is missing, so the new storage is all defaults.
void ColumnBuilder::Become(Kind kind) {
  kind_ = kind;
  switch (kind) {
    case Kind::kFloat:
      floats_.assign(rows_, 0.0);
      break;
    case Kind::kString:
      strings_.assign(rows_, std::string());
      break;
    default:
      ints_.assign(rows_, 0);
  }
}

void ColumnBuilder::WidenToFloat() {
  floats_.assign(ints_.begin(), ints_.end());
  std::vector<int64_t>().swap(ints_);
  kind_ = Kind::kFloat;
}

void ColumnBuilder::BecomeString() {
  rows_needing_text_ = rows_;
  std::vector<int64_t>().swap(ints_);
  std::vector<double>().swap(floats_);
  strings_.assign(rows_, std::string());
  kind_ = Kind::kString;
}

ColumnType ColumnBuilder::type() const {
  switch (kind_) {
    case Kind::kInt:
      return ColumnType::kInt;
    case Kind::kBool:
      return ColumnType::kBool;
    case Kind::kTimestamp:
      return ColumnType::kTimestamp;
    case Kind::kString:
      return ColumnType::kString;
    case Kind::kUndecided:
    case Kind::kFloat:
      break;
  }
  return ColumnType::kFloat;
}

Column ColumnBuilder::Finish() && {
  Column c = Column::Empty(name_, type(), {name_});
  if (kind_ == Kind::kUndecided) floats_.assign(rows_, 0.0);
  if (all_present_) valid_.assign(rows_, 1);
  c.valid = std::move(valid_);
  c.ints = std::move(ints_);
  c.floats = std::move(floats_);
  c.strings = std::move(strings_);
  return c;
}

Kind ColumnBuilder::Join(Kind a, Kind b) {
  if (a == Kind::kUndecided || a == b) return b;
  if (b == Kind::kUndecided) return a;
  if ((a == Kind::kInt && b == Kind::kFloat) || (a == Kind::kFloat && b == Kind::kInt)) {
    return Kind::kFloat;
  }
  return Kind::kString;
}

void ColumnBuilder::ConformTo(Kind kind, Kind before) {
  if (declared_) return;
  if (kind_ == Kind::kUndecided) {
    if (kind != Kind::kUndecided) Become(kind);
    return;
  }
  if (kind == Kind::kString) {
    if (kind_ != Kind::kString) BecomeString();
    return;
  }
  if (kind != Kind::kFloat) return;  // kind_ == kind
  if (kind_ == Kind::kInt) WidenToFloat();
  if (before == Kind::kFloat) {
    for (size_t row : negative_zero_rows_) floats_[row] = -0.0;
  }
}

void ColumnBuilder::Absorb(ColumnBuilder&& later) {
  if (!later.all_present_ && all_present_) {
    valid_.assign(rows_, 1);
    all_present_ = false;
  }
  if (!all_present_) {
    if (later.all_present_) {
      valid_.resize(rows_ + later.rows_, 1);
    } else {
      valid_.insert(valid_.end(), later.valid_.begin(), later.valid_.end());
    }
  }
  switch (kind_) {
    case Kind::kUndecided:
      break;
    case Kind::kFloat:
      floats_.insert(floats_.end(), later.floats_.begin(), later.floats_.end());
      break;
    case Kind::kString:
      strings_.insert(strings_.end(), std::make_move_iterator(later.strings_.begin()),
                      std::make_move_iterator(later.strings_.end()));
      break;
    default:
      ints_.insert(ints_.end(), later.ints_.begin(), later.ints_.end());
  }
  rows_ += later.rows_;
  // Frees the absorbed cells now: merging holds one column's copy at a time.
  std::vector<uint8_t>().swap(later.valid_);
  std::vector<int64_t>().swap(later.ints_);
  std::vector<double>().swap(later.floats_);
  std::vector<std::string>().swap(later.strings_);
  later.rows_ = 0;
}

std::string ShortCellText(std::string_view raw) {
  constexpr size_t kMaxBytes = 40;
  bool cut = raw.size() > kMaxBytes;
  if (cut) {
    size_t n = kMaxBytes;
    while (n > 0 && (static_cast<unsigned char>(raw[n]) & 0xC0) == 0x80) --n;
    raw = raw.substr(0, n);
  }
  std::string out(raw);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  if (!IsValidUtf8(out)) {
    for (char& c : out) {
      if (static_cast<unsigned char>(c) >= 0x80) c = '?';
    }
  }
  return cut ? out + "…" : out;
}

Status CellError(CellFit fit, std::string_view where, const ColumnBuilder& builder,
                 std::string_view raw) {
  if (fit == CellFit::kInvalidUtf8) {
    return InvalidArgumentError(fmt::format(
        "{}: invalid UTF-8 in column '{}' ('{}'); text cells must be UTF-8: re-save the file as "
        "UTF-8 (for example with iconv -f latin1 -t utf-8 in.csv > out.csv)",
        where, builder.name(), ShortCellText(raw)));
  }
  return InvalidArgumentError(fmt::format(
      "{}: column '{}': expected {}, got '{}'; fix the value, list it in input: missing_values "
      "if it marks a missing value, or declare another type for the column in input: schema "
      "(string keeps any text)",
      where, builder.name(), ColumnTypeName(builder.type()), ShortCellText(raw)));
}

std::vector<ColumnBuilder> MakeBuilders(
    const std::vector<std::string>& names,
    const std::vector<std::pair<std::string, ColumnType>>& schema) {
  std::unordered_map<std::string_view, ColumnType> declared;
  for (const auto& [name, type] : schema) declared.emplace(name, type);
  std::vector<ColumnBuilder> builders;
  builders.reserve(names.size());
  for (const std::string& name : names) {
    auto it = declared.find(name);
    builders.emplace_back(
        name, it == declared.end() ? std::nullopt : std::optional<ColumnType>(it->second));
  }
  return builders;
}

Status CheckDeclaredColumns(const std::vector<std::pair<std::string, ColumnType>>& schema,
                            const std::vector<std::string>& names, std::string_view source) {
  std::vector<std::string> absent;
  for (const auto& [name, type] : schema) {
    if (std::find(names.begin(), names.end(), name) == names.end()) absent.push_back(name);
  }
  if (absent.empty()) return Status::Ok();
  return InvalidArgumentError(fmt::format(
      "{}: {} {} in input: schema {} not in the file; the columns are {} (a file without a "
      "header names them col_0, col_1, …)",
      source, absent.size() == 1 ? "column" : "columns", QuotedList(absent),
      absent.size() == 1 ? "is" : "are", QuotedList(names)));
}

}  // namespace citadel::data
