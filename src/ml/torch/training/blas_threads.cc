#include "ml/torch/training/blas_threads.h"

#include <dlfcn.h>

namespace citadel::ml::internal {
namespace {

using SetThreads = void (*)(int);
using GetThreads = int (*)();

SetThreads SetFunction() {
  static const auto fn =
      reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  return fn;
}

GetThreads GetFunction() {
  static const auto fn =
      reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  return fn;
}

}  // namespace

void SetBlasThreads(int threads) {
  if (SetFunction() != nullptr && threads > 0) SetFunction()(threads);
}

BlasThreadScope::BlasThreadScope(int threads) {
  if (SetFunction() == nullptr || GetFunction() == nullptr || threads < 1) return;
  previous_ = GetFunction()();
  SetFunction()(threads);
}

BlasThreadScope::~BlasThreadScope() {
  if (previous_ > 0) SetFunction()(previous_);
}

}  // namespace citadel::ml::internal
