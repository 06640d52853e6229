// text: a free-text column becomes bag-of-words float columns — hashed term
// counts, vocabulary counts, or TF-IDF as sklearn's TfidfVectorizer computes
// it with its defaults — or, for sequence models (a transformer), the token
// ids of its words in order.
//
//   - { op: text, column: review, mode: tfidf, max_features: 5000, min_df: 2,
//       tokenizer: { lowercase: true, ngram_range: [1, 2] } }
//   - { op: text, column: review, mode: hashed, n_features: 4096 }
//   - { op: text, column: review, mode: sequence, max_length: 64, max_features: 20000 }
//
// Spec fields:
//   column        the string column (never the label)
//   tokenizer     see text_tokenizer.h; default lowercase words, no n-grams
//   mode          tfidf (default) | counts | hashed | sequence
//   n_features    hashed only: a power of two in [2, 65536], default 1024; term t adds
//                 1 to bucket MurmurHash3(t) mod n_features (unsigned)
//   max_features  tfidf/counts/sequence: keep the N (≤ 65536) terms with the highest
//                 count over the training rows (ties: the smaller term first); without
//                 it, more than 10000 terms is an error for tfidf/counts (outputs are
//                 dense columns) and more than 65536 for sequence
//   min_df        tfidf/counts/sequence: an integer is a document count, a number with
//                 a fraction (0.0–1.0) a share of the training rows; default 1
//   max_df        likewise, as an upper bound; default 1.0
//   norm          tfidf/counts/hashed: l2 (default for tfidf and hashed) | none
//                 (default for counts)
//   sublinear_tf  tfidf only: tf = 1 + ln(tf); default false
//   max_length    sequence only, required: ids per row (1–4096); a longer text keeps
//                 its first max_length words, a shorter one is padded with 0
//
// TF-IDF: tf = count of the term in the row, idf = ln((1 + n) / (1 + df)) + 1
// with n the number of training rows and df the training rows holding the
// term (smooth_idf), value = tf * idf, then each row scaled to unit L2 norm.
//
// Sequence: word i of the row (tokenizer n-grams must be [1, 1]) becomes the
// id 2 + its index in the sorted vocabulary; a word outside the vocabulary is
// 1 (unknown) and padding is 0, the id a transformer masks out.
//
// Fitted: hashed {}; counts and sequence {"vocabulary": [sorted terms]};
// tfidf {"vocabulary": [...], "idf": [one per term]}. Vocabulary and df come
// from the training rows only; a term seen only in held-out rows is ignored.
//
// Output: float columns `<col>_tok_<i>` (hashed), `<col>:<term>` (in term
// order) or `<col>_seq_<i>` (sequence, i < max_length), every cell present,
// where the input column stood (which is removed); sources = the input's
// sources. A missing cell is an empty document: all zeros (and counts as a
// document for n). A vocabulary that
// comes out empty (no training text, or everything pruned) is an error, as in
// sklearn. A 1 MB cell is tokenized in linear time.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "data/transform/categorical/categorical_ops.h"
#include "data/transform/categorical/category_cells.h"
#include "data/transform/text/feature_hash.h"
#include "data/transform/text/text_tokenizer.h"

namespace citadel::data {
namespace {

constexpr std::string_view kOp = "text";
constexpr int64_t kMaxHashedFeatures = 65536;
// Output columns are dense, so a vocabulary wider than this must be asked for
// with max_features (or hashed); unpruned, it is mostly one-off terms anyway.
constexpr size_t kMaxUnboundedVocabulary = 10000;
constexpr int64_t kMaxVocabulary = 65536;

enum class Mode { kTfidf, kCounts, kHashed, kSequence };

// Token ids of mode: sequence below the vocabulary's (see the file comment).
constexpr double kPaddingId = 0;
constexpr double kUnknownId = 1;
constexpr size_t kFirstTermId = 2;
constexpr int64_t kMaxSequenceLength = 4096;

// min_df / max_df: a document count, or a share of the training rows.
struct DocFrequency {
  bool is_count = false;
  double value = 1.0;

  double Threshold(size_t documents) const {
    return is_count ? value : value * static_cast<double>(documents);
  }
  Json ToJson() const { return is_count ? Json(static_cast<int64_t>(value)) : Json(value); }
};

struct TextSpec {
  std::string column;
  TokenizerOptions tokenizer;
  Mode mode = Mode::kTfidf;
  int64_t n_features = 1024;
  std::optional<int64_t> max_features;
  DocFrequency min_df{true, 1};
  DocFrequency max_df{false, 1.0};
  bool l2 = true;
  bool sublinear_tf = false;
  int64_t max_length = 0;  // sequence
};

std::string_view ModeName(Mode mode) {
  switch (mode) {
    case Mode::kTfidf:
      return "tfidf";
    case Mode::kCounts:
      return "counts";
    case Mode::kHashed:
      return "hashed";
    case Mode::kSequence:
      break;
  }
  return "sequence";
}

class Text : public ColumnTransform {
 public:
  explicit Text(TextSpec spec) : spec_(std::move(spec)) {}

  std::string_view op() const override { return kOp; }

  Status Fit(const Table& table, std::span<const size_t> fit_rows) override {
    ASSIGN_OR_RETURN(const Column* c, Input(table));
    vocabulary_.clear();
    idf_.clear();
    if (spec_.mode == Mode::kHashed) return Status::Ok();
    struct Stats {
      int64_t df = 0;
      int64_t tf = 0;
      size_t last_doc = SIZE_MAX;
    };
    TextMap<Stats> stats;
    for (size_t d = 0; d < fit_rows.size(); ++d) {
      if (!c->is_valid(fit_rows[d])) continue;
      ForEachTerm(c->strings[fit_rows[d]], spec_.tokenizer, [&](std::string_view term) {
        auto it = stats.find(term);
        if (it == stats.end()) it = stats.emplace(std::string(term), Stats{}).first;
        ++it->second.tf;
        if (it->second.last_doc != d) {
          ++it->second.df;
          it->second.last_doc = d;
        }
      });
    }
    if (stats.empty()) return NoTerm(*c, fit_rows.size(), "no text");
    const double low = spec_.min_df.Threshold(fit_rows.size());
    const double high = spec_.max_df.Threshold(fit_rows.size());
    if (high < low) {
      return InvalidArgumentError(fmt::format(
          "{}: on the {} training rows max_df allows at most {} documents, fewer than min_df's "
          "{}; lower min_df or raise max_df",
          kOp, fit_rows.size(), high, low));
    }
    std::vector<std::pair<std::string, Stats>> kept;
    for (auto& [term, s] : stats) {
      auto df = static_cast<double>(s.df);
      if (df >= low && df <= high) kept.emplace_back(term, s);
    }
    if (spec_.max_features && kept.size() > static_cast<size_t>(*spec_.max_features)) {
      std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
        return a.second.tf != b.second.tf ? a.second.tf > b.second.tf : a.first < b.first;
      });
      kept.resize(static_cast<size_t>(*spec_.max_features));
    }
    // Sequence ids stay in one column per position, so only the
    // vocabulary's own size bounds them.
    const size_t unbounded_limit = spec_.mode == Mode::kSequence
                                       ? static_cast<size_t>(kMaxVocabulary)
                                       : kMaxUnboundedVocabulary;
    if (!spec_.max_features && kept.size() > unbounded_limit) {
      return InvalidArgumentError(
          fmt::format("{}: column '{}' has {} terms on the {} training rows (more than {}); set "
                      "max_features (e.g. 5000), raise min_df{}",
                      kOp, c->name, kept.size(), fit_rows.size(), unbounded_limit,
                      spec_.mode == Mode::kSequence ? "" : ", or use mode: hashed"));
    }
    std::sort(kept.begin(), kept.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    if (kept.empty()) return NoTerm(*c, fit_rows.size(), "every term pruned by min_df / max_df");
    const auto n = static_cast<double>(fit_rows.size());
    for (const auto& [term, s] : kept) {
      RETURN_IF_ERROR(CheckStorable(term, SIZE_MAX, kOp, c->name, "a training row", ""));
      vocabulary_.push_back(term);
      if (spec_.mode == Mode::kTfidf) {
        idf_.push_back(std::log((1 + n) / (1 + static_cast<double>(s.df))) + 1);
      }
    }
    return Status::Ok();
  }

  Status Apply(Table& table) const override {
    ASSIGN_OR_RETURN(const Column* c, Input(table));
    if (spec_.mode == Mode::kSequence) return ApplySequence(table, *c);
    const size_t rows = c->size();
    const bool hashed = spec_.mode == Mode::kHashed;
    const size_t width = hashed ? static_cast<size_t>(spec_.n_features) : vocabulary_.size();
    std::vector<Column> out;
    out.reserve(width);
    for (size_t j = 0; j < width; ++j) {
      std::string name = hashed ? fmt::format("{}_tok_{}", c->name, j)
                                : fmt::format("{}:{}", c->name, vocabulary_[j]);
      out.push_back(Column::Floats(std::move(name), std::vector<double>(rows, 0.0), c->sources));
    }
    TextMap<size_t> index;
    for (size_t j = 0; j < vocabulary_.size(); ++j) index.emplace(vocabulary_[j], j);
    // One dense accumulator reused across rows; `touched` lists the non-zero
    // slots, so a row costs time in its own length, not in `width`.
    std::vector<double> acc(width, 0.0);
    std::vector<size_t> touched;
    for (size_t r = 0; r < rows; ++r) {
      if (!c->is_valid(r)) continue;
      ForEachTerm(c->strings[r], spec_.tokenizer, [&](std::string_view term) {
        size_t j;
        if (hashed) {
          j = HashFeature(term, static_cast<uint32_t>(width)).bucket;
        } else {
          auto it = index.find(term);
          if (it == index.end()) return;
          j = it->second;
        }
        if (acc[j] == 0) touched.push_back(j);
        acc[j] += 1;
      });
      double sum_squares = 0;
      for (size_t j : touched) {
        double v = spec_.sublinear_tf ? 1 + std::log(acc[j]) : acc[j];
        if (spec_.mode == Mode::kTfidf) v *= idf_[j];
        acc[j] = v;
        sum_squares += v * v;
      }
      const double scale = spec_.l2 && sum_squares > 0 ? 1 / std::sqrt(sum_squares) : 1.0;
      for (size_t j : touched) {
        out[j].floats[r] = acc[j] * scale;
        acc[j] = 0;
      }
      touched.clear();
    }
    std::string input = c->name;
    return ReplaceColumns(table, std::span(&input, 1), false, std::move(out), kOp);
  }

  Json ToJson() const override {
    Json j = {{"op", kOp},
              {"column", spec_.column},
              {"tokenizer", spec_.tokenizer.ToJson()},
              {"mode", ModeName(spec_.mode)}};
    if (spec_.mode != Mode::kSequence) j["norm"] = spec_.l2 ? "l2" : "none";
    if (spec_.mode == Mode::kSequence) j["max_length"] = spec_.max_length;
    Json fitted = Json::object();
    if (spec_.mode == Mode::kHashed) {
      j["n_features"] = spec_.n_features;
    } else {
      if (spec_.max_features) j["max_features"] = *spec_.max_features;
      j["min_df"] = spec_.min_df.ToJson();
      j["max_df"] = spec_.max_df.ToJson();
      fitted["vocabulary"] = vocabulary_;
    }
    if (spec_.mode == Mode::kTfidf) {
      j["sublinear_tf"] = spec_.sublinear_tf;
      fitted["idf"] = idf_;
    }
    j["fitted"] = std::move(fitted);
    return j;
  }

  Status LoadFitted(const Json& fitted) override {
    if (!fitted.is_object())
      return InvalidArgumentError(fmt::format("{}: fitted must be an object", kOp));
    if (spec_.mode == Mode::kHashed) return Status::Ok();
    RETURN_IF_ERROR(ReadFitted(fitted, "vocabulary", kOp, vocabulary_));
    if (std::adjacent_find(vocabulary_.begin(), vocabulary_.end(), std::greater_equal<>()) !=
        vocabulary_.end()) {
      return InvalidArgumentError(
          fmt::format("{}: fitted.vocabulary must be sorted and unique", kOp));
    }
    if (spec_.mode != Mode::kTfidf) return Status::Ok();
    RETURN_IF_ERROR(ReadFitted(fitted, "idf", kOp, idf_));
    if (idf_.size() != vocabulary_.size()) {
      return InvalidArgumentError(fmt::format("{}: fitted.idf must hold one value per term", kOp));
    }
    for (double v : idf_) {
      if (!std::isfinite(v) || v < 1) {
        return InvalidArgumentError(
            fmt::format("{}: fitted.idf values must be finite and ≥ 1", kOp));
      }
    }
    return Status::Ok();
  }

 private:
  Status ApplySequence(Table& table, const Column& c) const {
    const size_t rows = c.size();
    const auto length = static_cast<size_t>(spec_.max_length);
    std::vector<Column> out;
    out.reserve(length);
    for (size_t i = 0; i < length; ++i) {
      out.push_back(Column::Floats(fmt::format("{}_seq_{}", c.name, i),
                                   std::vector<double>(rows, kPaddingId), c.sources));
    }
    TextMap<size_t> index;
    for (size_t j = 0; j < vocabulary_.size(); ++j) index.emplace(vocabulary_[j], j);
    for (size_t r = 0; r < rows; ++r) {
      if (!c.is_valid(r)) continue;
      size_t position = 0;
      ForEachTerm(c.strings[r], spec_.tokenizer, [&](std::string_view term) {
        if (position == length) return;  // truncated: the first max_length words stay
        auto it = index.find(term);
        out[position++].floats[r] =
            it == index.end() ? kUnknownId : static_cast<double>(kFirstTermId + it->second);
      });
    }
    std::string input = c.name;
    return ReplaceColumns(table, std::span(&input, 1), false, std::move(out), kOp);
  }

  Result<const Column*> Input(const Table& table) const {
    if (!table.label.empty() && spec_.column == table.label) {
      return InvalidArgumentError(fmt::format(
          "{}: '{}' is the label column; transforms apply to features only", kOp, spec_.column));
    }
    ASSIGN_OR_RETURN(const Column* c, table.Get(spec_.column, kOp));
    if (!c->is_string()) {
      return InvalidArgumentError(fmt::format(
          "{}: column '{}' is {}, not string; text encodes free-text columns (use one_hot or "
          "ordinal for codes)",
          kOp, c->name, ColumnTypeName(c->type)));
    }
    return c;
  }

  static Status NoTerm(const Column& c, size_t rows, std::string_view why) {
    return InvalidArgumentError(fmt::format(
        "{}: column '{}' gives no term on the {} training rows ({}), so it would encode to no "
        "column; check the column, relax min_df / max_df, or use mode: hashed",
        kOp, c.name, rows, why));
  }

  TextSpec spec_;
  std::vector<std::string> vocabulary_;
  std::vector<double> idf_;
};

Result<DocFrequency> ParseDocFrequency(const SpecReader& item, std::string_view key,
                                       DocFrequency fallback) {
  if (!item.Has(key)) return fallback;
  if (item.json()[std::string(key)].is_number_integer()) {
    ASSIGN_OR_RETURN(int64_t count, item.Int(key, 0, INT64_C(1) << 50));
    return DocFrequency{true, static_cast<double>(count)};
  }
  ASSIGN_OR_RETURN(double share, item.Number(key, 0.0, 1.0));
  return DocFrequency{false, share};
}

// A field that only some modes read must not be silently ignored in others.
Status OnlyFor(const SpecReader& item, std::string_view key, bool allowed, std::string_view modes) {
  if (allowed || !item.Has(key)) return Status::Ok();
  return item.FieldError(key, fmt::format("'{}' applies to mode: {} only", key, modes));
}

Result<std::unique_ptr<ColumnTransform>> MakeText(const SpecReader& item, const TransformEnv&) {
  RETURN_IF_ERROR(
      item.ExpectObject({"op", "column", "tokenizer", "mode", "n_features", "max_features",
                         "min_df", "max_df", "norm", "sublinear_tf", "max_length"}));
  TextSpec spec;
  ASSIGN_OR_RETURN(spec.column, item.String("column"));
  if (spec.column.empty()) return item.FieldError("column", "the column name is empty");
  ASSIGN_OR_RETURN(spec.tokenizer, TokenizerOptions::Parse(item, "tokenizer"));
  ASSIGN_OR_RETURN(std::string mode, item.String("mode", "tfidf"));
  RETURN_IF_ERROR(CheckChoice(item, "mode", mode, {"tfidf", "counts", "hashed", "sequence"}));
  for (Mode m : {Mode::kTfidf, Mode::kCounts, Mode::kHashed, Mode::kSequence}) {
    if (ModeName(m) == mode) spec.mode = m;
  }
  const bool hashed = spec.mode == Mode::kHashed;
  const bool sequence = spec.mode == Mode::kSequence;
  RETURN_IF_ERROR(OnlyFor(item, "n_features", hashed, "hashed"));
  for (std::string_view key : {"max_features", "min_df", "max_df"}) {
    RETURN_IF_ERROR(OnlyFor(item, key, !hashed, "tfidf, counts or sequence"));
  }
  RETURN_IF_ERROR(OnlyFor(item, "sublinear_tf", spec.mode == Mode::kTfidf, "tfidf"));
  RETURN_IF_ERROR(OnlyFor(item, "norm", !sequence, "tfidf, counts or hashed"));
  RETURN_IF_ERROR(OnlyFor(item, "max_length", sequence, "sequence"));
  if (sequence) {
    if (!item.Has("max_length")) {
      return item.FieldError("max_length",
                             "mode: sequence needs max_length, the number of token ids per row "
                             "(the model's input length), e.g. 64");
    }
    ASSIGN_OR_RETURN(spec.max_length, item.Int("max_length", 1, kMaxSequenceLength));
    if (spec.tokenizer.ngram_max > 1) {
      return item.FieldError("tokenizer",
                             "mode: sequence reads words in order; its ngram_range "
                             "must be [1, 1]");
    }
  }
  ASSIGN_OR_RETURN(spec.n_features, item.Int("n_features", 2, kMaxHashedFeatures, 1024));
  if ((spec.n_features & (spec.n_features - 1)) != 0) {
    return item.FieldError("n_features", fmt::format("expected a power of two (256, 1024, …), "
                                                     "got {}",
                                                     spec.n_features));
  }
  if (item.Has("max_features")) {
    ASSIGN_OR_RETURN(spec.max_features, item.Int("max_features", 1, kMaxVocabulary));
  }
  ASSIGN_OR_RETURN(spec.min_df, ParseDocFrequency(item, "min_df", spec.min_df));
  ASSIGN_OR_RETURN(spec.max_df, ParseDocFrequency(item, "max_df", spec.max_df));
  ASSIGN_OR_RETURN(std::string norm,
                   item.String("norm", spec.mode == Mode::kCounts ? "none" : "l2"));
  RETURN_IF_ERROR(CheckChoice(item, "norm", norm, {"l2", "none"}));
  spec.l2 = norm == "l2";
  ASSIGN_OR_RETURN(spec.sublinear_tf, item.Bool("sublinear_tf", false));
  return std::unique_ptr<ColumnTransform>(std::make_unique<Text>(std::move(spec)));
}

}  // namespace

void AddTextOps(std::vector<TransformOp>& ops) { ops.push_back({kOp, MakeText}); }

}  // namespace citadel::data
