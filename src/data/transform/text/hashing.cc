// hash_features: the hashing trick over categorical columns, for columns too
// wide to one-hot (ids, zip codes, user agents) and values never seen in
// training.
//
//   - { op: hash_features, columns: [city, browser], n_features: 256, signed: true,
//       output: cat }
//
// Spec fields:
//   columns     a name, a list of names, or all_string (never the label)
//   n_features  a power of two in [2, 65536]; default 1024
//   signed      true (default): each feature adds ±1, the sign taken from a hash bit
//               the bucket does not use, so collisions cancel on average; false: +1
//   output      required prefix of the output columns
//
// Each present cell adds the feature "<col>=<value>" (value as category text:
// "42", "true") to bucket MurmurHash3(feature) mod n_features (see
// feature_hash.h). All listed columns share one output space: `<prefix>_0` …
// `<prefix>_<n-1>`, float, every cell present, sources = the union of the
// inputs' sources, placed where the first input stood; the inputs are removed.
//
// Nothing is learned, so there is no unseen value: any value hashes. A missing
// cell adds nothing. A long value costs time linear in its length and is never
// stored. Float and timestamp columns are refused (categories only), so NaN and
// inf never reach a feature.
//
// Fitted: {"columns": [resolved names]}: no learned parameter, but the
// resolved selection, so that a serving table with extra string columns is
// hashed exactly like the training table.
#include <fmt/format.h>

#include <utility>

#include "data/transform/categorical/categorical_ops.h"
#include "data/transform/categorical/category_cells.h"
#include "data/transform/column_selection.h"
#include "data/transform/text/feature_hash.h"

namespace citadel::data {
namespace {

constexpr std::string_view kOp = "hash_features";
constexpr int64_t kMaxFeatures = 65536;

struct HashSpec {
  ColumnSelection selection;
  int64_t n_features = 1024;
  bool is_signed = true;
  std::string output;
};

class HashFeatures : public ColumnTransform {
 public:
  explicit HashFeatures(HashSpec spec) : spec_(std::move(spec)) {}

  std::string_view op() const override { return kOp; }

  Status Fit(const Table& table, std::span<const size_t>) override {
    ASSIGN_OR_RETURN(columns_, spec_.selection.Resolve(table, kOp));
    for (const std::string& name : columns_)
      RETURN_IF_ERROR(CheckCategorical(*table.Find(name), kOp));
    return Status::Ok();
  }

  Status Apply(Table& table) const override {
    const size_t rows = table.num_rows();
    const auto n = static_cast<uint32_t>(spec_.n_features);
    std::vector<Column> out;
    out.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      out.push_back(Column::Floats(fmt::format("{}_{}", spec_.output, i),
                                   std::vector<double>(rows, 0.0), {}));
    }
    std::string feature;
    std::string scratch;
    std::vector<std::string> sources;
    for (const std::string& name : columns_) {
      ASSIGN_OR_RETURN(const Column* c, std::as_const(table).Get(name, kOp));
      RETURN_IF_ERROR(CheckCategorical(*c, kOp));
      MergeSources(sources, c->sources);
      for (size_t r = 0; r < rows; ++r) {
        if (!c->is_valid(r)) continue;
        feature.assign(name);
        feature += '=';
        feature += CategoryText(*c, r, scratch);
        HashedFeature h = HashFeature(feature, n);
        out[h.bucket].floats[r] += spec_.is_signed ? h.sign : 1.0;
      }
    }
    for (Column& c : out) c.sources = sources;
    return ReplaceColumns(table, columns_, false, std::move(out), kOp);
  }

  Json ToJson() const override {
    return Json{{"op", kOp},
                {"columns", spec_.selection.ToJson()},
                {"n_features", spec_.n_features},
                {"signed", spec_.is_signed},
                {"output", spec_.output},
                {"fitted", Json{{"columns", columns_}}}};
  }

  Status LoadFitted(const Json& fitted) override {
    RETURN_IF_ERROR(ReadFitted(fitted, "columns", kOp, columns_));
    if (columns_.empty()) {
      return InvalidArgumentError(fmt::format("{}: fitted.columns is empty", kOp));
    }
    return Status::Ok();
  }

 private:
  HashSpec spec_;
  std::vector<std::string> columns_;
};

Result<std::unique_ptr<ColumnTransform>> MakeHashFeatures(const SpecReader& item,
                                                          const TransformEnv&) {
  RETURN_IF_ERROR(item.ExpectObject({"op", "columns", "n_features", "signed", "output"}));
  HashSpec spec;
  ASSIGN_OR_RETURN(spec.selection, ColumnSelection::Parse(item));
  ASSIGN_OR_RETURN(spec.n_features, item.Int("n_features", 2, kMaxFeatures, 1024));
  if ((spec.n_features & (spec.n_features - 1)) != 0) {
    return item.FieldError("n_features", fmt::format("expected a power of two (256, 1024, …), "
                                                     "got {}",
                                                     spec.n_features));
  }
  ASSIGN_OR_RETURN(spec.is_signed, item.Bool("signed", true));
  if (!item.Has("output")) {
    return item.FieldError("output",
                           "required field 'output' is missing: the prefix of the "
                           "output columns (output: cat gives cat_0, cat_1, …)");
  }
  ASSIGN_OR_RETURN(spec.output, item.String("output"));
  if (spec.output.empty()) return item.FieldError("output", "the prefix is empty");
  return std::unique_ptr<ColumnTransform>(std::make_unique<HashFeatures>(std::move(spec)));
}

}  // namespace

void AddHashingOps(std::vector<TransformOp>& ops) { ops.push_back({kOp, MakeHashFeatures}); }

}  // namespace citadel::data
