// ColumnBuilder: one Column built cell by cell while a file is read, with
// its type inferred on the fly or fixed by a declared schema.
//
// Inference (see cell_text.h for what each type accepts): the first present
// cell picks int, float, bool, timestamp or string; later cells keep the
// column in that type, widen int to float (the ints read so far are
// converted), or turn it into a string column. Int and float are the only
// types that mix; any other conflict means string, since no cell can be two
// of bool / number / timestamp. A column with no present cell ends as a float
// column with every cell missing.
//
// Turning into a string column after typed cells does not keep their text:
// the reader re-reads rows [0, rows_needing_text()) once at the end and hands
// their text to SetText, so a file is read a second time only up to the last
// row where some column changed to string — never per column.
//
// A file read in chunks on several threads gets one builder per chunk and
// column; Join, ConformTo and Absorb then give the column exactly the type and
// values one sequential pass would have (see ConformTo for the one subtle
// case, "-0").
//
// A declared column never changes type; a cell that does not convert is
// reported as CellFit::kWrongType. Declared bool accepts 0 and 1 besides
// true/false; declared float accepts ints; declared int accepts only integer
// literals (no "1.0"); declared string keeps any text. Missing-value tokens
// are missing whatever the type.
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "data/ingest/cells/cell_text.h"
#include "data/table/column.h"

namespace citadel::data {

enum class CellFit : uint8_t { kOk, kWrongType, kInvalidUtf8 };

class ColumnBuilder {
 public:
  enum class Kind : uint8_t { kUndecided, kInt, kFloat, kBool, kTimestamp, kString };

  // `declared` fixes the type; nullopt infers it.
  ColumnBuilder(std::string name, std::optional<ColumnType> declared);

  const std::string& name() const { return name_; }
  const std::optional<ColumnType>& declared() const { return declared_; }
  Kind kind() const { return kind_; }
  size_t size() const { return rows_; }

  void AppendMissing();
  // The fast path for numbers parsed straight from the text. Preconditions:
  // kind() is kInt (AppendInt) or kFloat (AppendFloat).
  void AppendInt(int64_t value) {
    MarkPresent();
    ints_.push_back(value);
  }
  // Call after AppendInt(0) for a cell written with a minus sign ("-0"), so a
  // later merge can make it -0.0 where a sequential pass would have (ConformTo).
  void NoteNegativeZero() {
    if (!declared_ && kind_ == Kind::kInt) negative_zero_rows_.push_back(rows_ - 1);
  }
  void AppendFloat(double value) {
    MarkPresent();
    floats_.push_back(value);
  }

  // A cell given as text (a CSV field, a JSON string); `raw` is kept verbatim
  // if the column is string. Nothing is appended unless kOk is returned.
  CellFit AddText(std::string_view raw, const MissingTokens& missing);
  // A cell of known kind (a JSON number or boolean): `natural` is kInt (with
  // `i`), kFloat (with `f`), kBool (`i` = 0 / 1) or kString; `text` is its
  // text, used if the column is (or becomes) string.
  CellFit AddTyped(Kind natural, int64_t i, double f, std::string_view text);

  // Makes room for `rows` cells in all (an estimate from the rows read so
  // far), which saves regrowing and copying the vectors. Memory reserved and
  // never written is never touched, so a high estimate costs address space
  // only; callers bound it by the text size.
  void Reserve(size_t rows);

  // See the file comment. SetText ignores missing rows; it fails only on
  // invalid UTF-8.
  size_t rows_needing_text() const { return rows_needing_text_; }
  CellFit SetText(size_t row, std::string_view raw);

  // The type the column has (or will have) as a Table column.
  ColumnType type() const;

  // The finished column; sources = {name}.
  Column Finish() &&;

  // Merging the builders of consecutive chunks of one file, in file order:
  // the type of the column is the Join of the chunks' kinds (kUndecided for
  // none, int with float gives float, any other mix gives string); each
  // chunk's builder is then ConformTo'd that kind, given the Join of the
  // kinds of the chunks before it (`before`), has its text filled (SetText,
  // rows_needing_text) and is Absorbed, in order, by the first chunk's builder.
  static Kind Join(Kind a, Kind b);
  // Turns an undeclared builder into `kind` (a Join including its own kind).
  // An int chunk after a float one becomes float, and its "-0" cells become
  // -0.0, as a sequential pass would have parsed them as floats.
  void ConformTo(Kind kind, Kind before);
  // Appends the cells of `later` (of the same kind, text filled).
  void Absorb(ColumnBuilder&& later);

 private:
  // The validity mask stays empty while every cell is present (the usual
  // case for numeric columns), which saves a store per cell.
  void MarkPresent() {
    if (!all_present_) valid_.push_back(1);
    ++rows_;
  }
  void MarkMissing();
  bool IsPresent(size_t row) const { return all_present_ || valid_[row] != 0; }

  CellFit AppendString(std::string_view raw);
  void Become(Kind kind);
  void WidenToFloat();
  void BecomeString();
  CellFit AddDeclared(Kind natural, int64_t i, double f, std::string_view text);

  std::string name_;
  std::optional<ColumnType> declared_;
  Kind kind_ = Kind::kUndecided;
  size_t rows_ = 0;
  bool all_present_ = true;
  std::vector<uint8_t> valid_;  // empty while all_present_
  std::vector<int64_t> ints_;   // int, bool, timestamp
  std::vector<double> floats_;
  std::vector<std::string> strings_;
  size_t rows_needing_text_ = 0;
  std::vector<size_t> negative_zero_rows_;  // "-0" cells stored as int 0 (see ConformTo)
};

// "FILE:LINE: column 'age': expected int, got 'abc'; …" or the invalid UTF-8
// message, for a cell `raw` that `builder` refused with `fit`. `where` is
// "FILE:LINE".
Status CellError(CellFit fit, std::string_view where, const ColumnBuilder& builder,
                 std::string_view raw);

// A cell's text for a message: at most ~40 bytes (cut on a character
// boundary, "…" appended), control characters as spaces, bytes of invalid
// UTF-8 as '?'.
std::string ShortCellText(std::string_view raw);

// One builder per name, with its declared type from `schema` if listed.
// `schema` entries absent from `names` are the caller's to report.
std::vector<ColumnBuilder> MakeBuilders(
    const std::vector<std::string>& names,
    const std::vector<std::pair<std::string, ColumnType>>& schema);

// InvalidArgument naming every declared column that is not in `names`.
Status CheckDeclaredColumns(const std::vector<std::pair<std::string, ColumnType>>& schema,
                            const std::vector<std::string>& names, std::string_view source);

}  // namespace citadel::data
