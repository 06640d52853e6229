#include "data/internal/frame.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <unordered_map>

#include "base/text/utf8.h"
#include "data/ingest/number.h"

namespace citadel::data {
namespace {

std::string Shorten(std::string_view text) {
  if (text.size() <= 40) return std::string(text);
  return std::string(text.substr(0, 37)) + "...";
}

// Doubles at or beyond this magnitude round to ±infinity as float32 (it lies
// halfway between FLT_MAX and 2^128). Anything below rounds to a finite
// float, so FLT_MAX as printed (3.4028235e38) is accepted.
constexpr double kFloat32Overflow = 0x1.ffffffp127;

std::string ColumnList(const std::vector<std::string>& columns) {
  std::string out;
  size_t shown = std::min<size_t>(columns.size(), 12);
  for (size_t i = 0; i < shown; ++i) out += fmt::format("{}'{}'", i == 0 ? "" : ", ", columns[i]);
  if (shown < columns.size()) out += fmt::format(", … ({} in all)", columns.size());
  return out;
}

}  // namespace

void Frame::KeepRows(const std::vector<size_t>& rows) {
  size_t width = num_features();
  for (size_t i = 0; i < rows.size(); ++i) {
    size_t from = rows[i];
    if (from == i) continue;
    std::copy_n(features.begin() + static_cast<ptrdiff_t>(from * width), width,
                features.begin() + static_cast<ptrdiff_t>(i * width));
    labels[i] = labels[from];
    row_ids[i] = row_ids[from];
  }
  features.resize(rows.size() * width);
  labels.resize(rows.size());
  row_ids.resize(rows.size());
}

Result<size_t> ResolveLabelColumn(const std::vector<std::string>& columns, std::string_view label,
                                  std::string_view source) {
  auto by_name = std::find(columns.begin(), columns.end(), label);
  if (by_name != columns.end()) return static_cast<size_t>(by_name - columns.begin());
  int64_t index = 0;
  auto [end, ec] = std::from_chars(label.data(), label.data() + label.size(), index);
  if (!label.empty() && ec == std::errc() && end == label.data() + label.size()) {
    auto n = static_cast<int64_t>(columns.size());
    if (index < -n || index >= n) {
      return InvalidArgumentError(fmt::format(
          "{}: label column index {} is out of range: the file has {} columns (0 … {}, or -1 for "
          "the last)",
          source, index, n, n - 1));
    }
    return static_cast<size_t>(index < 0 ? index + n : index);
  }
  return InvalidArgumentError(fmt::format(
      "{}: label column '{}' not found; the columns are {} (a header-less file names them "
      "col_0, col_1, …; an integer index such as -1 for the last column also works)",
      source, label, ColumnList(columns)));
}

std::vector<std::string> OrderClasses(std::vector<std::string> distinct) {
  std::vector<std::pair<double, std::string>> numeric;
  numeric.reserve(distinct.size());
  for (const std::string& value : distinct) {
    std::optional<double> x = ParseNumber(value);
    if (!x.has_value()) {
      std::sort(distinct.begin(), distinct.end());
      return distinct;
    }
    numeric.emplace_back(*x, value);
  }
  // Ties ("1" and "1.0") fall back to byte order, keeping the order total.
  std::sort(numeric.begin(), numeric.end());
  std::vector<std::string> out;
  out.reserve(numeric.size());
  for (auto& entry : numeric) out.push_back(std::move(entry.second));
  return out;
}

Result<Frame> BuildFrame(const CsvTable& table, std::string_view label) {
  const std::vector<std::string>& columns = table.columns();
  ASSIGN_OR_RETURN(size_t label_column, ResolveLabelColumn(columns, label, table.source()));
  if (columns.size() < 2) {
    return InvalidArgumentError(fmt::format(
        "{}: the file has {} column(s); a dataset needs at least one feature column besides the "
        "label",
        table.source(), columns.size()));
  }
  Frame frame;
  frame.source = table.source();
  frame.label_name = columns[label_column];
  for (size_t c = 0; c < columns.size(); ++c) {
    if (c != label_column) frame.feature_names.push_back(columns[c]);
  }
  size_t rows = table.num_rows();
  size_t width = frame.num_features();
  frame.features.resize(rows * width);
  frame.labels.resize(rows);
  frame.row_ids.resize(rows);

  // Label text → provisional index in order of first appearance.
  std::unordered_map<std::string_view, int64_t> first_seen;
  std::vector<std::string_view> distinct;
  for (size_t r = 0; r < rows; ++r) {
    double* out = frame.row(r);
    for (size_t c = 0; c < columns.size(); ++c) {
      std::string_view cell = table.cell(r, c);
      if (c == label_column) {
        if (cell.empty()) {
          return InvalidArgumentError(fmt::format(
              "{}:{}: label column '{}' is empty; every row needs a label (drop unlabelled rows "
              "before this step)",
              table.source(), table.line(r), frame.label_name));
        }
        auto [it, inserted] = first_seen.emplace(cell, static_cast<int64_t>(distinct.size()));
        if (inserted) {
          if (!IsValidUtf8(cell)) {
            return InvalidArgumentError(fmt::format(
                "{}:{}: invalid UTF-8 in column '{}'; label values become class names in "
                "schema.json, which is UTF-8: re-save the file as UTF-8 (for example with iconv "
                "-f latin1 -t utf-8)",
                table.source(), table.line(r), frame.label_name));
          }
          distinct.push_back(cell);
        }
        frame.labels[r] = it->second;
        continue;
      }
      std::optional<double> x = ParseNumber(cell);
      if (!x.has_value()) {
        return InvalidArgumentError(fmt::format(
            "{}:{}: column '{}': expected a number, got {}; features must be numeric and "
            "complete in this version (cleaning and imputation arrive with the full data "
            "engine), so fix or remove the row, or drop the column",
            table.source(), table.line(r), columns[c],
            cell.empty() ? std::string("an empty cell") : fmt::format("'{}'", Shorten(cell))));
      }
      if (std::fabs(*x) >= kFloat32Overflow) {
        return InvalidArgumentError(fmt::format(
            "{}:{}: column '{}': value '{}' does not fit in float32 (largest magnitude "
            "3.4028235e38); features are stored as F32, so rescale the column (for example "
            "change its unit) before this step",
            table.source(), table.line(r), columns[c], Shorten(cell)));
      }
      *out++ = *x;
    }
    frame.row_ids[r] = static_cast<int64_t>(r);
  }

  frame.classes = OrderClasses(std::vector<std::string>(distinct.begin(), distinct.end()));
  std::unordered_map<std::string_view, int64_t> final_index;
  for (size_t i = 0; i < frame.classes.size(); ++i) {
    final_index.emplace(frame.classes[i], static_cast<int64_t>(i));
  }
  std::vector<int64_t> remap(distinct.size());
  for (size_t i = 0; i < distinct.size(); ++i) remap[i] = final_index.at(distinct[i]);
  for (int64_t& l : frame.labels) l = remap[static_cast<size_t>(l)];
  return frame;
}

}  // namespace citadel::data
