#include "ml/dense_session.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <set>

#include "base/system/thread_pool.h"
#include "formats/safetensors.h"
#include "ml/kernels/dense_kernels.h"

namespace citadel::ml {
namespace {

struct Layer {
  int64_t in = 0;
  int64_t out = 0;
  std::vector<float> weight;  // out × in
  std::vector<float> bias;    // out
};

// Rows computed together: their activations stay in cache between layers.
constexpr int64_t kBlockRows = 256;
// Below this many multiply-adds a forward pass stays on the calling thread:
// handing rows to other threads would cost more than it saves.
constexpr double kParallelWork = 4e6;

class DenseSession final : public InferenceSession {
 public:
  DenseSession(std::string source, Json model_json, Promises promises, std::vector<Layer> layers)
      : InferenceSession(std::move(source), std::move(model_json), std::move(promises.features),
                         std::move(promises.classes)),
        layers_(std::move(layers)) {
    for (const Layer& l : layers_) {
      widest_ = std::max(widest_, l.out);
      work_per_row_ += static_cast<double>(l.in) * static_cast<double>(l.out);
    }
  }

  int64_t penultimate_width() const override {
    return layers_.size() > 1 ? layers_[layers_.size() - 2].out : 0;
  }

 protected:
  Result<std::vector<float>> Compute(std::span<const float> features, int64_t rows,
                                     std::vector<float>* penultimate) const override {
    const int64_t d = static_cast<int64_t>(feature_names().size());
    const int64_t k = static_cast<int64_t>(classes().size());
    std::vector<float> out(static_cast<size_t>(rows * k));
    const int64_t h = penultimate_width();
    float* hidden = nullptr;
    if (penultimate != nullptr) {
      penultimate->resize(static_cast<size_t>(rows * h));
      hidden = penultimate->data();
    }
    const int64_t blocks = (rows + kBlockRows - 1) / kBlockRows;
    // Rows are independent and each is computed the same way wherever it
    // falls, so how they are split across threads does not change a bit of
    // the answer.
    size_t tasks = 1;
    if (intra_op_threads() != 1 && blocks > 1 &&
        work_per_row_ * static_cast<double>(rows) >= kParallelWork) {
      tasks = std::min<size_t>(static_cast<size_t>(blocks), SharedPool().size() + 1);
      if (intra_op_threads() > 1) tasks = std::min(tasks, static_cast<size_t>(intra_op_threads()));
    }
    // Scratch for the hidden activations, as small as the request allows
    // and left uninitialised: a one-row request must not pay for clearing
    // (or mapping) space for a full block.
    const size_t scratch = static_cast<size_t>(std::min(rows, kBlockRows) * widest_);
    auto run = [&](size_t task) {
      std::unique_ptr<float[]> a(new float[scratch]);
      std::unique_ptr<float[]> b(new float[scratch]);
      for (int64_t block = static_cast<int64_t>(task); block < blocks;
           block += static_cast<int64_t>(tasks)) {
        const int64_t first = block * kBlockRows;
        const int64_t n = std::min(kBlockRows, rows - first);
        Forward(features.data() + first * d, n, a.get(), b.get(), out.data() + first * k,
                hidden == nullptr ? nullptr : hidden + first * h);
      }
    };
    if (tasks == 1) {
      run(0);
    } else {
      SharedPool().ParallelFor(tasks, run);
    }
    return out;
  }

 private:
  // `hidden`, when not null, receives the n rows the output layer reads.
  void Forward(const float* x, int64_t n, float* a, float* b, float* probabilities,
               float* hidden) const {
    const float* input = x;
    for (size_t i = 0; i < layers_.size(); ++i) {
      const Layer& l = layers_[i];
      const bool last = i + 1 == layers_.size();
      if (last && hidden != nullptr) {
        std::copy(input, input + n * l.in, hidden);
      }
      float* output = last ? probabilities : (input == a ? b : a);
      internal::AffineRows(input, n, l.in, l.weight.data(), l.bias.data(), l.out, !last, output);
      input = output;
    }
    internal::SoftmaxRows(probabilities, n, layers_.back().out);
  }

  std::vector<Layer> layers_;
  int64_t widest_ = 0;
  double work_per_row_ = 0;
};

}  // namespace

Result<DenseArchitecture> ReadDenseArchitecture(const Json& arch, std::string_view source) {
  DenseArchitecture a;
  if (!arch.is_object() || arch.value("arch", Json()) != "mlp") return a;
  if (!arch.contains("hidden") || !arch["hidden"].is_array()) {
    return InvalidArgumentError(
        fmt::format("{}: model.json architecture.hidden is missing", source));
  }
  for (const Json& h : arch["hidden"]) {
    if (!h.is_number_integer() || h.get<int64_t>() <= 0) {
      return InvalidArgumentError(
          fmt::format("{}: model.json architecture.hidden has a bad width", source));
    }
    a.hidden.push_back(h.get<int64_t>());
  }
  if (arch.contains("dropout")) {
    const Json& p = arch["dropout"];
    if (!p.is_number() || !(p.get<double>() >= 0 && p.get<double>() < 1)) {
      return InvalidArgumentError(
          fmt::format("{}: model.json architecture.dropout must be a number in [0, 1)", source));
    }
    a.dropout = p.get<double>();
  }
  return a;
}

bool IsDenseArchitecture(const Json& model_json) {
  if (!model_json.is_object() || !model_json.contains("architecture")) return false;
  const Json& arch = model_json["architecture"];
  if (!arch.is_object() || !arch.contains("arch") || !arch["arch"].is_string()) return false;
  const std::string name = arch["arch"].get<std::string>();
  return name == "mlp" || name == "logreg";
}

Result<std::unique_ptr<InferenceSession>> LoadDenseSession(const ModelFiles& files,
                                                           std::string_view source) {
  const Json& mj = files.model_json;
  if (!IsDenseArchitecture(mj)) {
    return InvalidArgumentError(
        fmt::format("{}: model.json architecture.arch is not mlp or logreg", source));
  }
  ASSIGN_OR_RETURN(InferenceSession::Promises promises, InferenceSession::ReadPromises(mj, source));
  ASSIGN_OR_RETURN(DenseArchitecture arch, ReadDenseArchitecture(mj["architecture"], source));
  const int64_t inputs = static_cast<int64_t>(promises.features.size());
  const int64_t classes = static_cast<int64_t>(promises.classes.size());
  if (inputs <= 0 || classes < 2) {
    return InvalidArgumentError(fmt::format(
        "cannot build a classifier with {} input features and {} classes (need ≥1 and ≥2)", inputs,
        classes));
  }
  ASSIGN_OR_RETURN(auto weights,
                   formats::SafetensorsFile::ParseBorrowed(
                       files.safetensors, std::string(source) + " model.safetensors"));
  std::vector<int64_t> widths = arch.hidden;
  widths.push_back(classes);
  std::vector<Layer> layers;
  std::set<std::string> expected;
  int64_t module = 0;  // the layer's index in the trainer's Sequential
  int64_t in = inputs;
  for (size_t i = 0; i < widths.size(); ++i) {
    Layer l;
    l.in = in;
    l.out = widths[i];
    for (const char* part : {"weight", "bias"}) {
      const std::string name = fmt::format("{}.{}", module, part);
      expected.insert(name);
      ASSIGN_OR_RETURN(const formats::TensorView* view, weights.Get(name));
      const bool is_weight = std::string_view(part) == "weight";
      const std::vector<int64_t> shape =
          is_weight ? std::vector<int64_t>{l.out, l.in} : std::vector<int64_t>{l.out};
      if (view->dtype != formats::DType::kF32 || view->shape != shape) {
        return InvalidArgumentError(
            fmt::format("{}: tensor '{}' has shape or dtype that does not match the architecture",
                        source, name));
      }
      std::vector<float>& target = is_weight ? l.weight : l.bias;
      target.resize(static_cast<size_t>(view->NumElements()));
      std::memcpy(target.data(), view->data.data(), view->data.size());
    }
    layers.push_back(std::move(l));
    in = widths[i];
    module += arch.dropout > 0 ? 3 : 2;  // Linear, ReLU[, Dropout]
  }
  for (const formats::TensorView& t : weights.tensors()) {
    if (!expected.count(t.name)) {
      return InvalidArgumentError(
          fmt::format("{}: unexpected tensor '{}' in model.safetensors", source, t.name));
    }
  }
  return std::unique_ptr<InferenceSession>(
      new DenseSession(std::string(source), mj, std::move(promises), std::move(layers)));
}

}  // namespace citadel::ml
