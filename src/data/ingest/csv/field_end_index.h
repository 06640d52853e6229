// FieldEndIndex: the offsets of every byte of a window of CSV text that may
// end a field or change how fields are read — the delimiter, '\n' and '"' —
// found 64 bytes at a time with SIMD compares and written out as a list
// before any field is converted. The typed reader then takes a record's
// field ends from the list (csv_chunk_parser.cc): the conversion of a field
// no longer waits on finding where the previous one ended, so the CPU
// converts neighbouring fields in parallel, and no byte-by-byte search for a
// field's end is left in the loop.
//
// The list is exact for its window, whatever the text: a '"' is listed
// wherever it stands and the caller decides what it means (a record holding
// one is read by the general path of csv_tokenizer.h, which applies RFC 4180
// quoting). A window holds a bounded number of ends and is refilled from a
// record start when a record needs more than it has left.
//
// Kernels: AVX2 where the CPU has it (checked once at run time; that code is
// compiled for it with target attributes), SSE2 (the x86-64 baseline), and a
// portable scalar loop. All give the same list (field_end_index_test.cc
// compares them on random text).
//
// Not thread-safe; the text must outlive the index.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace citadel::data {

class FieldEndIndex {
 public:
  enum class Kernel : uint8_t { kScalar, kSse2, kAvx2 };

  // The fastest kernel this build and CPU run.
  static Kernel BestKernel();
  // Whether this build and CPU can run `kernel`.
  static bool KernelAvailable(Kernel kernel);

  // `max_count` is the most ends a caller asks for at once (a record's
  // fields). The delimiter is not '"', '\n', '\r' or NUL (DetectCsvLayout
  // refuses those). Preconditions: `kernel` is available.
  FieldEndIndex(std::string_view text, char delimiter, size_t max_count,
                Kernel kernel = BestKernel());

  // The first `count` (<= max_count) field ends at or after offset `pos` of
  // the text, as offsets from window_begin(), or nullptr when the text has
  // fewer than `count` left. Moving `pos` forward is the fast case; ends
  // before `pos` are skipped.
  const uint32_t* Ends(size_t pos, size_t count) {
    if (pos >= window_begin_ && pos - window_begin_ <= window_bytes_) {
      const uint32_t relative = static_cast<uint32_t>(pos - window_begin_);
      while (next_ < count_ && ends_[next_] < relative) ++next_;
      if (count_ - next_ >= count) return &ends_[next_];
      if (window_begin_ + window_bytes_ == size_) return nullptr;
    }
    return Refill(pos, count);
  }
  // Offset in the text that the offsets from Ends count from.
  size_t window_begin() const { return window_begin_; }
  // Marks `count` ends from those the last Ends call returned as read.
  void Consume(size_t count) { next_ += count; }

 private:
  const uint32_t* Refill(size_t pos, size_t count);
  // Lists the ends from `pos` on until the list holds about capacity_ of them
  // or the text ends.
  void Fill(size_t pos);

  const char* text_;
  size_t size_;
  char delimiter_;
  Kernel kernel_;
  size_t capacity_;             // ends a window is filled to
  std::vector<uint32_t> ends_;  // offsets from window_begin_, ascending
  size_t count_ = 0;            // ends listed
  size_t next_ = 0;             // first end not yet read
  size_t window_begin_ = 0;
  size_t window_bytes_ = 0;  // bytes of text the list covers
  bool filled_ = false;
};

// What one kernel call scanned: whole 64-byte blocks, and the ends it listed.
struct FieldEndScan {
  size_t bytes = 0;
  size_t ends = 0;
};

// The kernels, exposed for tests: list in `out` the offsets (from `text`) of
// the delimiter, '\n' and '"' bytes of the 64-byte blocks of [text, text +
// bytes), block by block, stopping after the block that brings the count to
// `stop_after` or more. `bytes` is a multiple of 64 and below 2^32; `out` has
// room for stop_after + 64 offsets.
FieldEndScan ListFieldEnds(FieldEndIndex::Kernel kernel, const char* text, size_t bytes,
                           char delimiter, size_t stop_after, uint32_t* out);

}  // namespace citadel::data
