// InferenceSession's network half: the Network rebuilt from model.json's
// architecture (or loaded from the model's TorchScript module, checked
// against its recorded digest) and filled from model.safetensors.
#include <fmt/format.h>

#include <mutex>
#include <set>
#include <shared_mutex>
#include <stdexcept>

#include "crypto/sha256.h"
#include "formats/safetensors.h"
#include "ml/model_files.h"
#include "ml/torch/network.h"
#include "ml/torch/tensors.h"
#include "ml/torch/torch_runtime.h"
#include "ml/torch/training/blas_threads.h"

namespace citadel::ml::internal {
namespace {

// Rows per torch forward pass: a batch job's dataset, a server's batch
// above this size and the detector's fit are cut into chunks of it (which
// fixes each row's batch, so results stay deterministic). Small enough that a cnn's
// activations stay in cache and below malloc's mmap threshold: at 2048 rows
// each Fashion-MNIST conv layer's output is ~100 MB, freshly mapped and
// faulted in on every chunk, and `kind: evaluate` on 60 000 images took 94 s
// instead of 2.7 s (docs/benchmarks.md, eleventh session).
constexpr int64_t kPredictChunk = 256;

std::shared_mutex& ThreadCountMutex() {
  static std::shared_mutex mu;
  return mu;
}

class TorchSession final : public InferenceSession {
 public:
  TorchSession(std::string source, Json model_json, Promises promises, std::unique_ptr<Network> net)
      : InferenceSession(std::move(source), std::move(model_json), std::move(promises.features),
                         std::move(promises.classes)),
        net_(std::move(net)) {
    // OpenBLAS splits a matrix product differently by thread count, and the
    // split changes the last bit of some results: with more than one BLAS
    // thread the same rows would give different probabilities on a 2-core
    // and a 16-core machine, or in a server and in kind: predict. Inference
    // keeps BLAS on one thread (process-wide; training sets its own count
    // for its scope); torch's intra-op threads, which split independent
    // rows and channels, stay free.
    SetBlasThreads(1);
  }

  int64_t penultimate_width() const override { return net_->PenultimateWidth(); }

 protected:
  Result<std::vector<float>> Compute(std::span<const float> features, int64_t rows,
                                     std::vector<float>* penultimate) const override {
    const int64_t d = static_cast<int64_t>(feature_names().size());
    // torch keeps the OpenMP intra-op thread count per thread, but
    // set_num_threads also resizes the process-wide pthreadpool that its
    // convolutions (NNPACK) run on: resizing it under a forward pass on
    // another thread crashes. Forward passes share the lock; a thread
    // setting its count for the first time takes it alone.
    std::shared_lock forward(ThreadCountMutex(), std::defer_lock);
    if (const int threads = intra_op_threads(); threads > 0) {
      thread_local int applied = 0;
      if (applied != threads) {
        std::unique_lock alone(ThreadCountMutex());
        torch::set_num_threads(threads);
        applied = threads;
      }
    }
    forward.lock();
    std::vector<float> out;
    if (penultimate != nullptr) penultimate->clear();
    Status s = CatchTorch(fmt::format("running model {}", source()), [&]() -> Status {
      torch::NoGradGuard no_grad;
      torch::Tensor x =
          torch::from_blob(const_cast<float*>(features.data()), {rows, d}, torch::kFloat32);
      // In fixed-size chunks: a cnn's activations for a whole test set would
      // take gigabytes, and a fixed chunk keeps the results deterministic.
      for (int64_t start = 0; start < rows; start += kPredictChunk) {
        const int64_t end = std::min(rows, start + kPredictChunk);
        torch::Tensor logits;
        torch::Tensor hidden;
        try {
          logits = penultimate != nullptr ? net_->Forward(x.slice(0, start, end), &hidden)
                                          : net_->Forward(x.slice(0, start, end));
        } catch (const std::invalid_argument& e) {
          // The network counts rows within the chunk; the caller counts
          // them in what it sent.
          throw std::invalid_argument(
              fmt::format("in the chunk of rows from {}: {}", start, e.what()));
        }
        torch::Tensor p = torch::softmax(logits, 1).contiguous();
        out.insert(out.end(), p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
        if (penultimate != nullptr) {
          hidden = hidden.to(torch::kFloat32).contiguous();
          penultimate->insert(penultimate->end(), hidden.data_ptr<float>(),
                              hidden.data_ptr<float>() + hidden.numel());
        }
      }
      return Status::Ok();
    });
    RETURN_IF_ERROR(s);
    return out;
  }

 private:
  // Forward() is not const (torch's modules are not), but evaluation mode
  // under NoGradGuard does not mutate the network.
  std::unique_ptr<Network> net_;
};

Result<std::unique_ptr<InferenceSession>> LoadUnchecked(const ModelFiles& files,
                                                        std::string_view source) {
  const Json& mj = files.model_json;
  ASSIGN_OR_RETURN(InferenceSession::Promises promises, InferenceSession::ReadPromises(mj, source));
  ASSIGN_OR_RETURN(ModelSpec spec, ModelSpecFromJson(mj, source));
  if (spec.arch == "torchscript") {
    // The module is code the model runs: it must be the one trained.
    const std::string digest = crypto::Sha256::Of(files.torchscript).Hex();
    if (files.torchscript.empty() || digest != spec.module.sha256) {
      return DataLossError(fmt::format(
          "{}: {} {} (sha256 {}), but model.json records sha256 {}; the model's module was "
          "replaced or damaged: use the model artifact as stored",
          source, kScriptedModuleFile, files.torchscript.empty() ? "is missing" : "differs",
          files.torchscript.empty() ? "-" : digest, spec.module.sha256));
    }
    spec.module.bytes = files.torchscript;
  }
  ASSIGN_OR_RETURN(auto weights,
                   formats::SafetensorsFile::Parse(files.safetensors,
                                                   std::string(source) + " model.safetensors"));
  ASSIGN_OR_RETURN(std::unique_ptr<Network> net,
                   BuildNetwork(spec, static_cast<int64_t>(promises.features.size()),
                                static_cast<int64_t>(promises.classes.size())));
  torch::NoGradGuard no_grad;
  std::set<std::string> expected;
  std::vector<NamedTensor> tensors = net->NamedParameters();
  for (NamedTensor& b : net->NamedBuffers()) tensors.push_back(std::move(b));
  for (auto& [name, target] : tensors) {
    expected.insert(name);
    ASSIGN_OR_RETURN(const formats::TensorView* view, weights.Get(name));
    const formats::DType dtype =
        target.scalar_type() == torch::kInt64 ? formats::DType::kI64 : formats::DType::kF32;
    if (view->dtype != dtype || view->shape != target.sizes().vec()) {
      return InvalidArgumentError(fmt::format(
          "{}: tensor '{}' has shape or dtype that does not match the architecture", source, name));
    }
    ASSIGN_OR_RETURN(torch::Tensor t, ToTorch(*view, source));
    target.copy_(t);
  }
  for (const auto& t : weights.tensors()) {
    if (!expected.count(t.name)) {
      return InvalidArgumentError(
          fmt::format("{}: unexpected tensor '{}' in model.safetensors", source, t.name));
    }
  }
  net->SetTraining(false);
  return std::unique_ptr<InferenceSession>(
      new TorchSession(std::string(source), mj, std::move(promises), std::move(net)));
}

}  // namespace

Result<std::unique_ptr<InferenceSession>> LoadTorchSession(const ModelFiles& files,
                                                           std::string_view source) {
  // model.json comes from outside the process: any type surprise in it must
  // become an error, never an escaped exception.
  std::unique_ptr<InferenceSession> session;
  Status status = CatchTorch(fmt::format("loading model {}", source), [&]() -> Status {
    ASSIGN_OR_RETURN(session, LoadUnchecked(files, source));
    return Status::Ok();
  });
  RETURN_IF_ERROR(status);
  return session;
}

}  // namespace citadel::ml::internal
