// Keeping freed heap memory for reuse, for processes that allocate the same
// large temporary buffers over and over (a model server's forward passes).
//
// glibc's malloc hands a block of 128 KiB or more straight to the kernel
// (mmap) and back on free (munmap), and trims the top of its heap once
// 128 KiB there are free; it raises those limits by itself only partly and
// only after such frees. Each forward pass of a convolutional model then
// faults its workspaces (~1–60 MB) in afresh, zeroed page by page, and on a
// virtual machine a page fault costs microseconds: the Fashion-MNIST CNN in
// libtorch took 600–700 µs per image in batches of 8–32, against ~100–130
// µs with the buffers kept (docs/benchmarks.md, serving).
#pragma once

#include <cstddef>

namespace citadel {

// The largest block glibc lets come from the heap rather than its own
// mapping (DEFAULT_MMAP_THRESHOLD_MAX on 64-bit systems).
inline constexpr std::size_t kHeapBlockMax = std::size_t{32} << 20;

// From now on, blocks up to kHeapBlockMax come from the heap and stay in
// it once freed, and the heap's top is returned to the kernel only past
// `keep_top_bytes` of free memory there: the memory a process has used
// stays with it (its peak, not its current use, is its footprint). For
// long-lived servers; batch work does not need it. Process-wide; returns
// false when the C library refused a setting.
bool KeepFreedHeapMemory(std::size_t keep_top_bytes = std::size_t{512} << 20);

}  // namespace citadel
