// The torch-free session of mlp / logreg models: the same probabilities as
// the torch network (within float rounding), a row's answer independent of
// its batch, the loader's refusals, and no libtorch needed.
#include "ml/dense_session.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

#include "formats/safetensors.h"
#include "ml/runtime.h"

namespace citadel::ml {
namespace {

struct Shape {
  int64_t inputs;
  std::vector<int64_t> hidden;  // empty: logreg
  int64_t classes;
  double dropout = 0;
};

// Weights drawn from a seeded generator, named as the trainer's Sequential
// names them: widths that are not multiples of 8 exercise the tails.
ModelFiles RandomModel(const Shape& s, uint64_t seed) {
  std::mt19937_64 rng(seed);
  formats::SafetensorsWriter w;
  std::vector<int64_t> widths = s.hidden;
  widths.push_back(s.classes);
  int64_t in = s.inputs;
  int64_t module = 0;
  for (int64_t out : widths) {
    // Scaled as torch initialises a Linear layer, so logits stay near 1.
    std::normal_distribution<float> normal(0.0f, 1.0f / std::sqrt(static_cast<float>(in)));
    std::vector<float> weight(static_cast<size_t>(out * in)), bias(static_cast<size_t>(out));
    for (float& v : weight) v = normal(rng);
    for (float& v : bias) v = normal(rng);
    EXPECT_TRUE(w.Add(fmt::format("{}.weight", module), formats::DType::kF32, {out, in},
                      formats::BytesOf<float>(weight))
                    .ok());
    EXPECT_TRUE(w.Add(fmt::format("{}.bias", module), formats::DType::kF32, {out},
                      formats::BytesOf<float>(bias))
                    .ok());
    in = out;
    module += s.dropout > 0 ? 3 : 2;
  }
  Json features = Json::array(), classes = Json::array();
  for (int64_t i = 0; i < s.inputs; ++i) features.push_back(fmt::format("f{}", i));
  for (int64_t i = 0; i < s.classes; ++i) classes.push_back(fmt::format("c{}", i));
  Json arch = s.hidden.empty()
                  ? Json{{"arch", "logreg"}}
                  : Json{{"arch", "mlp"}, {"hidden", s.hidden}, {"dropout", s.dropout}};
  ModelFiles files;
  files.safetensors = w.Serialize();
  files.model_json = {{"format", kModelFormat},
                      {"architecture", arch},
                      {"input", {{"features", features}}},
                      {"output", {{"classes", classes}}}};
  return files;
}

std::vector<float> RandomRows(int64_t rows, int64_t width, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.5f);
  std::vector<float> x(static_cast<size_t>(rows * width));
  for (float& v : x) v = normal(rng);
  return x;
}

std::vector<float> Predict(const InferenceSession& s, const std::vector<float>& x, int64_t rows) {
  auto p = s.PredictProbabilities(x, rows);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? *p : std::vector<float>();
}

TEST(DenseSession, AgreesWithTheTorchNetwork) {
  auto runtime = Runtime();
  ASSERT_TRUE(runtime.ok()) << runtime.status().ToString();
  const std::vector<Shape> shapes = {
      {37, {19, 8}, 5}, {64, {128, 64}, 10, 0.2}, {13, {}, 3}, {8, {16}, 2}};
  for (size_t i = 0; i < shapes.size(); ++i) {
    const Shape& shape = shapes[i];
    const ModelFiles files = RandomModel(shape, 11 + i);
    auto dense = LoadDenseSession(files, "m");
    auto torch = (*runtime)->LoadSession(files, "m");
    ASSERT_TRUE(dense.ok()) << dense.status().ToString();
    ASSERT_TRUE(torch.ok()) << torch.status().ToString();
    const int64_t rows = 300;
    const std::vector<float> x = RandomRows(rows, shape.inputs, 5 + i);
    const std::vector<float> a = Predict(**dense, x, rows);
    const std::vector<float> b = Predict(**torch, x, rows);
    ASSERT_EQ(a.size(), static_cast<size_t>(rows * shape.classes));
    ASSERT_EQ(a.size(), b.size());
    float worst = 0;
    for (size_t j = 0; j < a.size(); ++j) worst = std::max(worst, std::abs(a[j] - b[j]));
    EXPECT_LT(worst, 2e-6f) << "shape " << i;
    // The penultimate activations too (the torch network runs every module
    // but the last, then the last), relative to their size.
    const int64_t width = shape.hidden.empty() ? 0 : shape.hidden.back();
    EXPECT_EQ((*dense)->penultimate_width(), width) << "shape " << i;
    EXPECT_EQ((*torch)->penultimate_width(), width) << "shape " << i;
    std::vector<float> ha, hb;
    auto pa = (*dense)->PredictProbabilities(x, rows, &ha);
    auto pb = (*torch)->PredictProbabilities(x, rows, &hb);
    if (width == 0) {
      EXPECT_EQ(pa.status().code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(pb.status().code(), StatusCode::kInvalidArgument);
      continue;
    }
    ASSERT_TRUE(pa.ok() && pb.ok());
    EXPECT_EQ(*pa, a) << "the same probabilities with the activations";
    ASSERT_EQ(ha.size(), static_cast<size_t>(rows * width));
    ASSERT_EQ(ha.size(), hb.size());
    worst = 0;
    for (size_t j = 0; j < ha.size(); ++j) {
      worst = std::max(worst, std::abs(ha[j] - hb[j]) / std::max(1.0f, std::abs(ha[j])));
    }
    EXPECT_LT(worst, 2e-6f) << "shape " << i;
    // And they are probabilities.
    for (int64_t r = 0; r < rows; ++r) {
      float sum = 0;
      for (int64_t k = 0; k < shape.classes; ++k)
        sum += a[static_cast<size_t>(r * shape.classes + k)];
      EXPECT_NEAR(sum, 1.0f, 1e-5f);
    }
  }
}

// A dataset artifact of `rows` random rows labelled by the model's own top
// class (so that classes have structure), as the train step reads one.
struct LabelledData {
  std::vector<float> x;
  DatasetView view;
};
LabelledData LabelledBy(const InferenceSession& session, int64_t rows, uint64_t seed) {
  LabelledData d;
  const auto inputs = static_cast<int64_t>(session.feature_names().size());
  const auto classes = static_cast<int64_t>(session.classes().size());
  d.x = RandomRows(rows, inputs, seed);
  const std::vector<float> p = Predict(session, d.x, rows);
  std::vector<int64_t> labels(static_cast<size_t>(rows));
  for (size_t r = 0; r < labels.size(); ++r) {
    const float* row = p.data() + r * static_cast<size_t>(classes);
    labels[r] = std::max_element(row, row + classes) - row;
  }
  formats::SafetensorsWriter w;
  EXPECT_TRUE(w.Add("features", formats::DType::kF32, {rows, inputs}, formats::BytesOf<float>(d.x))
                  .ok());
  EXPECT_TRUE(
      w.Add("labels", formats::DType::kI64, {rows}, formats::BytesOf<int64_t>(labels)).ok());
  d.view.name = "train";
  d.view.safetensors = w.Serialize();
  d.view.schema = {{"features", session.feature_names()},
                   {"label", {{"name", "y"}, {"classes", session.classes()}}}};
  return d;
}

// The session fits its model's detector in either space, loads it back from
// ood.safetensors, and scores each row in the space it was fitted in: the
// request's features, or the activations of the same forward pass.
TEST(DenseSession, ScreensRowsInTheSpaceItsDetectorWasFittedIn) {
  const Shape shape{12, {16, 6}, 3};
  ModelFiles files = RandomModel(shape, 21);
  auto session = LoadDenseSession(files, "m");
  ASSERT_TRUE(session.ok());
  const LabelledData train = LabelledBy(**session, 1500, 22);
  const int64_t rows = 40;
  std::vector<float> x = RandomRows(rows, shape.inputs, 23);
  for (size_t v = 0; v < 12; ++v) x[v] = 40.0f;  // row 0: far from everything
  std::vector<float> hidden;
  auto probabilities = (*session)->PredictProbabilities(x, rows, &hidden);
  ASSERT_TRUE(probabilities.ok());

  for (const FeatureSpace space : {FeatureSpace::kPenultimate, FeatureSpace::kInputFeatures}) {
    const bool penultimate = space == FeatureSpace::kPenultimate;
    auto fitted = (*session)->FitOodDetector(train.view, 0.99, space);
    ASSERT_TRUE(fitted.ok()) << fitted.status().ToString();
    EXPECT_EQ(fitted->space(), space);
    EXPECT_EQ(fitted->dims(), penultimate ? 6 : 12);
    files.ood = fitted->ToSafetensors();
    auto loaded = InferenceSession::Load(files, "m");
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    const OodDetector* detector = (*loaded)->ood_detector();
    ASSERT_NE(detector, nullptr);
    EXPECT_EQ(detector->Summary(), fitted->Summary());
    auto screened = (*loaded)->PredictScreened(x, rows);
    ASSERT_TRUE(screened.ok()) << screened.status().ToString();
    EXPECT_EQ(screened->probabilities, *probabilities);
    EXPECT_EQ(screened->ood_scores, fitted->ScoreRows(penultimate ? hidden : x, rows))
        << FeatureSpaceName(space);
    EXPECT_GT(screened->ood_scores[0], detector->threshold()) << FeatureSpaceName(space);
  }
  // A model without a detector scores nothing.
  files.ood.clear();
  auto plain = InferenceSession::Load(files, "m");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ((*plain)->ood_detector(), nullptr);
  auto unscreened = (*plain)->PredictScreened(x, rows);
  ASSERT_TRUE(unscreened.ok());
  EXPECT_TRUE(unscreened->ood_scores.empty());
}

TEST(DenseSession, RefusesADetectorOfAnotherWidthAndAPenultimateSpaceItLacks) {
  // Fitted on a model whose last hidden layer is 5 wide, loaded with one
  // whose is 6: the detector belongs to another model.
  ModelFiles narrow = RandomModel({12, {16, 5}, 3}, 31);
  auto narrow_session = LoadDenseSession(narrow, "narrow");
  ASSERT_TRUE(narrow_session.ok());
  auto fitted = (*narrow_session)
                    ->FitOodDetector(LabelledBy(**narrow_session, 800, 32).view, 0.99,
                                     FeatureSpace::kPenultimate);
  ASSERT_TRUE(fitted.ok()) << fitted.status().ToString();
  ModelFiles wide = RandomModel({12, {16, 6}, 3}, 33);
  wide.ood = fitted->ToSafetensors();
  auto refused = InferenceSession::Load(wide, "wide");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(refused.status().message().find("wide: ood.safetensors scores 5 features (penultimate) "
                                            "but the model's penultimate layer has 6"),
            std::string::npos)
      << refused.status().ToString();

  auto logreg = LoadDenseSession(RandomModel({12, {}, 3}, 34), "lr");
  ASSERT_TRUE(logreg.ok());
  auto none = (*logreg)->FitOodDetector(LabelledBy(**logreg, 100, 35).view, 0.99,
                                        FeatureSpace::kPenultimate);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("model lr has no penultimate layer"), std::string::npos)
      << none.status().ToString();
}

TEST(DenseSession, ARowsAnswerDoesNotDependOnItsBatch) {
  const Shape shape{37, {19, 8}, 5};
  auto session = LoadDenseSession(RandomModel(shape, 3), "m");
  ASSERT_TRUE(session.ok());
  const int64_t rows = 600;
  const std::vector<float> x = RandomRows(rows, shape.inputs, 9);
  const std::vector<float> all = Predict(**session, x, rows);
  for (int64_t size : {1, 2, 3, 4, 5, 7, 9, 257, 300}) {
    for (int64_t first : {int64_t{0}, int64_t{1}, int64_t{6}, rows - size}) {
      std::vector<float> part(x.begin() + first * shape.inputs,
                              x.begin() + (first + size) * shape.inputs);
      const std::vector<float> got = Predict(**session, part, size);
      ASSERT_EQ(got.size(), static_cast<size_t>(size * shape.classes));
      EXPECT_EQ(
          std::memcmp(got.data(), all.data() + first * shape.classes, got.size() * sizeof(float)),
          0)
          << size << " rows from row " << first;
    }
  }
}

TEST(DenseSession, ThreadsDoNotChangeTheAnswer) {
  const Shape shape{64, {128}, 10};
  auto session = LoadDenseSession(RandomModel(shape, 4), "m");
  ASSERT_TRUE(session.ok());
  const int64_t rows = 2000;  // enough work to be split across threads
  const std::vector<float> x = RandomRows(rows, shape.inputs, 2);
  (*session)->SetIntraOpThreads(1);
  const std::vector<float> one = Predict(**session, x, rows);
  (*session)->SetIntraOpThreads(0);
  const std::vector<float> many = Predict(**session, x, rows);
  ASSERT_EQ(one.size(), many.size());
  EXPECT_EQ(std::memcmp(one.data(), many.data(), one.size() * sizeof(float)), 0);
}

// Loads and runs an mlp, then exits 0 when it answered without the torch
// runtime having been loaded.
[[noreturn]] void PredictThenExit() {
  const Shape shape{8, {16}, 3};
  auto session = InferenceSession::Load(RandomModel(shape, 1), "m");
  bool answered = false;
  if (session.ok()) {
    auto p = (*session)->PredictProbabilities(RandomRows(4, 8, 1), 4);
    answered = p.ok() && p->size() == 12;
  }
  const bool torch = LoadedRuntime().has_value();
  std::fprintf(stderr, "answered %d, torch loaded %d\n", answered, torch);
  std::exit(answered && !torch ? 0 : 1);
}

TEST(DenseSession, ServesWithoutLoadingTorch) {
  // In a fresh process (the "threadsafe" style re-executes this binary for
  // the statement), so that no earlier test has loaded the runtime.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(PredictThenExit(), ::testing::ExitedWithCode(0), "answered 1, torch loaded 0");
}

TEST(DenseSession, RefusesWhatIsNotSuchANetwork) {
  const Shape shape{8, {16}, 3};
  const ModelFiles good = RandomModel(shape, 1);
  auto message = [](const ModelFiles& f) {
    auto s = LoadDenseSession(f, "model m");
    return s.ok() ? std::string("loaded") : s.status().ToString();
  };
  ModelFiles wider = good;
  wider.model_json["architecture"]["hidden"] = {12};
  EXPECT_NE(message(wider).find("tensor '0.weight' has shape or dtype that does not match"),
            std::string::npos)
      << message(wider);
  ModelFiles deeper = good;
  deeper.model_json["architecture"]["hidden"] = {16, 4};
  EXPECT_NE(message(deeper).find("does not match"), std::string::npos) << message(deeper);
  ModelFiles with_dropout = good;  // shifts the module indices: 3.weight is absent
  with_dropout.model_json["architecture"]["dropout"] = 0.5;
  EXPECT_NE(message(with_dropout).find("3.weight"), std::string::npos) << message(with_dropout);
  ModelFiles bad_dropout = good;
  bad_dropout.model_json["architecture"]["dropout"] = "high";
  EXPECT_NE(message(bad_dropout).find("architecture.dropout"), std::string::npos);
  ModelFiles bad_width = good;
  bad_width.model_json["architecture"]["hidden"] = {0};
  EXPECT_NE(message(bad_width).find("architecture.hidden has a bad width"), std::string::npos);
  ModelFiles no_hidden = good;
  no_hidden.model_json["architecture"].erase("hidden");
  EXPECT_NE(message(no_hidden).find("architecture.hidden is missing"), std::string::npos);
  ModelFiles one_class = good;
  one_class.model_json["output"]["classes"] = {"only"};
  EXPECT_NE(message(one_class).find("8 input features and 1 classes"), std::string::npos)
      << message(one_class);
  ModelFiles cnn = good;
  cnn.model_json["architecture"]["arch"] = "cnn";
  EXPECT_NE(message(cnn).find("not mlp or logreg"), std::string::npos);

  // The weights: a double tensor, a stray tensor, a cut file.
  auto parsed = formats::SafetensorsFile::Parse(good.safetensors, "m");
  ASSERT_TRUE(parsed.ok());
  formats::SafetensorsWriter doubles, extra;
  for (const auto& t : parsed->tensors()) {
    ASSERT_TRUE(extra.Add(t.name, t.dtype, t.shape, std::string(t.data)).ok());
    if (t.name == "2.bias") {
      std::vector<double> wide(static_cast<size_t>(t.NumElements()), 0.5);
      ASSERT_TRUE(
          doubles.Add(t.name, formats::DType::kF64, t.shape, formats::BytesOf<double>(wide)).ok());
    } else {
      ASSERT_TRUE(doubles.Add(t.name, t.dtype, t.shape, std::string(t.data)).ok());
    }
  }
  ASSERT_TRUE(extra.Add("payload", formats::DType::kU8, {3}, "abc").ok());
  ModelFiles f64 = good;
  f64.safetensors = doubles.Serialize();
  EXPECT_NE(message(f64).find("tensor '2.bias' has shape or dtype"), std::string::npos)
      << message(f64);
  ModelFiles stray = good;
  stray.safetensors = extra.Serialize();
  EXPECT_NE(message(stray).find("unexpected tensor 'payload'"), std::string::npos);
  ModelFiles cut = good;
  cut.safetensors.resize(cut.safetensors.size() - 4);
  EXPECT_NE(message(cut).find("model m model.safetensors"), std::string::npos) << message(cut);

  auto session = LoadDenseSession(good, "m");
  ASSERT_TRUE(session.ok());
  auto wrong = (*session)->PredictProbabilities(std::vector<float>(7), 1);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("expects 8 features per row; got 7 values for 1 rows"),
            std::string::npos);
}

}  // namespace
}  // namespace citadel::ml
