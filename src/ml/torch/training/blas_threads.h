// The BLAS library's own thread count, set for a scope. libtorch calls
// OpenBLAS for matrix products, and OpenBLAS runs its own pthread pool sized
// by the machine (or $OPENBLAS_NUM_THREADS), not by torch::set_num_threads.
// Found at run time (dlsym), so a BLAS without the call — the reference BLAS
// — simply has nothing to set.
#pragma once

namespace citadel::ml::internal {

// Sets the pool size for the rest of the process (a server that only ever
// runs small forward passes). Nothing when there is no such call.
void SetBlasThreads(int threads);

class BlasThreadScope {
 public:
  explicit BlasThreadScope(int threads);
  ~BlasThreadScope();
  BlasThreadScope(const BlasThreadScope&) = delete;
  BlasThreadScope& operator=(const BlasThreadScope&) = delete;

 private:
  int previous_ = 0;  // 0: nothing was set
};

}  // namespace citadel::ml::internal
