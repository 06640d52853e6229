// IDX arrays → typed Table: an images array [N, …] becomes one column per
// element position (pixel_0 … pixel_{F-1}), a labels array [N] the column
// "label". Values are copied from the big-endian data straight into the
// columns; no cell ever exists as text.
#include <fmt/format.h>

#include <span>

#include "data/ingest/cells/column_builder.h"
#include "data/ingest/input_spec.h"
#include "formats/idx.h"

namespace citadel::data {
namespace {

using formats::IdxArray;

// Each element position becomes a column, with its name and storage, however
// few records there are; an empty array ([0, …]) would otherwise choose the
// column count freely.
constexpr size_t kMaxColumns = size_t{1} << 20;

std::span<const std::byte> AsBytes(std::string_view bytes) {
  return std::as_bytes(std::span<const char>(bytes.data(), bytes.size()));
}

std::string Shape(const IdxArray& array) {
  std::string out;
  for (uint32_t d : array.dims) out += fmt::format("{}{}", out.empty() ? "" : ", ", d);
  return "[" + out + "]";
}

// One column per element position of the row-major rows × width array.
std::vector<Column> SplitColumns(const IdxArray& array, size_t rows, size_t width,
                                 const std::vector<std::string>& names) {
  const ColumnType type = array.is_integer() ? ColumnType::kInt : ColumnType::kFloat;
  std::vector<Column> columns;
  columns.reserve(width);
  for (size_t k = 0; k < width; ++k) {
    Column c = Column::Empty(names[k], type, {names[k]});
    c.valid.assign(rows, 1);
    if (type == ColumnType::kInt) {
      c.ints.resize(rows);
    } else {
      c.floats.resize(rows);
    }
    columns.push_back(std::move(c));
  }
  if (array.type == formats::IdxType::kU8) {  // MNIST's type: skip the per-element switch
    const auto* data = reinterpret_cast<const uint8_t*>(array.data.data());
    for (size_t n = 0; n < rows; ++n) {
      for (size_t k = 0; k < width; ++k) columns[k].ints[n] = data[n * width + k];
    }
  } else if (type == ColumnType::kInt) {
    for (size_t n = 0; n < rows; ++n) {
      for (size_t k = 0; k < width; ++k) columns[k].ints[n] = array.IntAt(n * width + k);
    }
  } else {
    for (size_t n = 0; n < rows; ++n) {
      for (size_t k = 0; k < width; ++k) columns[k].floats[n] = array.DoubleAt(n * width + k);
    }
  }
  return columns;
}

// IDX columns hold numbers; a declared type may keep them numbers or make
// them text (a label as categorical).
Status ApplyDeclaredTypes(Table& table, const InputSpec& spec) {
  for (const auto& [name, type] : spec.schema) {
    Column* c = table.Find(name);
    if (c == nullptr || c->type == type) continue;
    Column out = Column::Empty(c->name, type, c->sources);
    out.valid = c->valid;
    if (type == ColumnType::kFloat && c->type == ColumnType::kInt) {
      out.floats.assign(c->ints.begin(), c->ints.end());
    } else if (type == ColumnType::kString) {
      out.strings.reserve(c->size());
      for (size_t r = 0; r < c->size(); ++r) out.strings.push_back(c->CellText(r));
    } else {
      return InvalidArgumentError(fmt::format(
          "{}: column '{}' holds IDX {} values and cannot be declared {}; declare it int, float "
          "or string, or leave it out of input: schema",
          table.source, name, c->type == ColumnType::kInt ? "integer" : "floating-point",
          ColumnTypeName(type)));
    }
    *c = std::move(out);
  }
  return Status::Ok();
}

}  // namespace

Result<Table> ParseIdxTable(std::string_view images, std::string source,
                            std::optional<std::string_view> labels, std::string_view labels_source,
                            const InputSpec& spec) {
  ASSIGN_OR_RETURN(IdxArray pixels, formats::ParseIdx(AsBytes(images), source));
  const size_t rows = pixels.dims[0];
  size_t width = 1;
  for (size_t i = 1; i < pixels.dims.size(); ++i) width *= pixels.dims[i];
  if (width == 0) {  // the record count would then be free of the data size
    return InvalidArgumentError(
        fmt::format("{}: IDX records of shape {} hold no values; a dimension after the first is 0",
                    source, Shape(pixels)));
  }
  if (width > kMaxColumns) {
    return InvalidArgumentError(fmt::format(
        "{}: IDX records of shape {} hold {} values each; at most {} columns are supported", source,
        Shape(pixels), width, kMaxColumns));
  }
  std::vector<std::string> names;
  if (pixels.dims.size() == 1) {
    names.push_back("value");
  } else {
    for (size_t k = 0; k < width; ++k) names.push_back(fmt::format("pixel_{}", k));
  }

  Table table;
  table.source = std::move(source);
  table.columns = SplitColumns(pixels, rows, width, names);
  if (labels) {
    ASSIGN_OR_RETURN(IdxArray classes, formats::ParseIdx(AsBytes(*labels), labels_source));
    if (classes.dims.size() != 1 || !classes.is_integer()) {
      return InvalidArgumentError(
          fmt::format("{}: labels must be a 1-D integer IDX array [N]; this one is {} of {}",
                      labels_source, Shape(classes), formats::IdxTypeName(classes.type)));
    }
    if (classes.dims[0] != rows) {
      return InvalidArgumentError(fmt::format(
          "{} holds {} records but {} holds {} labels; the images and labels files must belong "
          "together (e.g. both t10k or both train)",
          table.source, rows, labels_source, classes.dims[0]));
    }
    table.columns.push_back(SplitColumns(classes, rows, 1, {"label"})[0]);
    names.push_back("label");
  }
  table.row_ids.resize(rows);
  table.lines.resize(rows);
  for (size_t n = 0; n < rows; ++n) {
    table.row_ids[n] = static_cast<int64_t>(n);
    table.lines[n] = static_cast<int64_t>(n + 1);
  }
  RETURN_IF_ERROR(CheckDeclaredColumns(spec.schema, names, table.source));
  RETURN_IF_ERROR(ApplyDeclaredTypes(table, spec));
  return table;
}

}  // namespace citadel::data
