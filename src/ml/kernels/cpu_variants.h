// Kernels with instruction-set variants chosen at run time (the solve of
// mahalanobis_kernels.h, the 2×2 pool of max_pool.h): one table per kernel,
// fastest first and ending with a variant every machine runs, and the
// lookups its callers, tests and benchmarks need. __builtin_cpu_supports
// also checks that the operating system saves the wider registers.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

// GCC on x86-64 Linux: target attributes, target_clones (ifuncs) and
// __builtin_cpu_supports are there.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define CITADEL_X86_VARIANTS 1
#else
#define CITADEL_X86_VARIANTS 0
#endif

namespace citadel::ml::internal {

#if CITADEL_X86_VARIANTS
inline bool RunsAvx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
}
inline bool RunsAvx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
}
#endif
inline bool RunsAlways() { return true; }

// One variant: its name ("avx512", "baseline", …), its entry points (a
// function pointer, or a struct of them) and whether this machine runs it.
template <typename Fns>
struct KernelVariant {
  const char* name;
  Fns fns;
  bool (*runs)();
};

// The first variant of `table` this machine runs (the last always does).
template <typename Fns, size_t N>
const KernelVariant<Fns>& FastestVariant(const KernelVariant<Fns> (&table)[N]) {
  for (const KernelVariant<Fns>& v : table) {
    if (v.runs()) return v;
  }
  return table[N - 1];
}

// The names of the variants this machine runs, fastest first.
template <typename Fns, size_t N>
std::vector<const char*> RunnableVariants(const KernelVariant<Fns> (&table)[N]) {
  std::vector<const char*> names;
  for (const KernelVariant<Fns>& v : table) {
    if (v.runs()) names.push_back(v.name);
  }
  return names;
}

// The variant named `name`; null when there is none or it does not run here.
template <typename Fns, size_t N>
const KernelVariant<Fns>* RunnableVariant(const KernelVariant<Fns> (&table)[N],
                                          std::string_view name) {
  for (const KernelVariant<Fns>& v : table) {
    if (name == v.name) return v.runs() ? &v : nullptr;
  }
  return nullptr;
}

}  // namespace citadel::ml::internal
