// The weights-only formats the scanner recognises besides pickles and ZIPs:
// safetensors (which cannot run code, but whose header must be strictly
// valid — out-of-range or overlapping offsets and smuggled trailing bytes
// are how payloads hide in it) and NumPy .npy (whose object arrays are
// pickles after the header; .npz is a ZIP of .npy files).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace citadel::scan {

// An 8-byte little-endian header length that fits the data, then '{'.
bool LooksLikeSafetensors(std::string_view data);

// OK, or InvalidArgument saying what breaks the format's strict rules.
Status CheckSafetensors(std::string_view data);

// "\x93NUMPY" magic.
bool LooksLikeNpy(std::string_view data);

struct NpyLayout {
  std::string descr;          // the dtype descriptor ('<f4', '|O', …)
  bool object_array = false;  // dtype 'O' anywhere in descr: the data is a pickle
  uint64_t data_offset = 0;   // where the array data (or the pickle) starts
};

// The header of a .npy file. InvalidArgument when malformed.
Result<NpyLayout> ReadNpyHeader(std::string_view data);

}  // namespace citadel::scan
