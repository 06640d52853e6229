// The string attributes of an HDF5 file's root group — where legacy Keras
// `.h5` models keep their JSON `model_config` and `training_config` — read
// by a minimal walk of our own rather than libhdf5: libhdf5 parses far
// more of a file than a scanner needs, and its parser has a long record of
// memory-safety bugs on crafted files (out-of-bounds reads and writes,
// unbounded recursion), which a scanner of hostile input must not inherit.
// The walk reads only: the superblock (versions 0–3, found at 0, 512, 1024,
// 2048 … as libhdf5 looks for it, with addresses taken relative to it as
// libhdf5 does), the root group's object header (version 1, or version 2
// "OHDR" with its "OCHK" continuation chunks), its attribute messages
// (versions 1–3), each attribute's dataspace and datatype, and the values
// of fixed-length strings (class 3) and variable-length strings (class 9,
// read from their global heap collection, "GCOL"). Checksums are not
// verified (libhdf5 refuses a file whose checksum fails, so a bad one
// cannot hide anything from a loader). A file shorter than the end of
// file its superblock records is a problem, as libhdf5 refuses it too.
//
// What it does not follow is said, not guessed: attributes kept in dense
// storage (a fractal heap, used past 8 attributes or 64 KiB under the
// latest file format) and shared datatypes are reported as problems, so
// the caller can flag a file whose config it could not see. Every address,
// size and count is checked against the file; object header chunks are
// visited once each and at most 1024 of them; at most 4096 attribute
// values are read.
//
// Thread-compatible; each call is independent.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace citadel::scan {

struct Hdf5Attribute {
  std::string name;
  uint64_t offset = 0;               // of its attribute message
  bool is_string = false;            // fixed- or variable-length string type
  std::vector<std::string> strings;  // the values, when a string (padding trimmed)
};

struct Hdf5Problem {
  uint64_t offset = 0;
  std::string detail;
};

struct Hdf5RootAttributes {
  std::vector<Hdf5Attribute> attributes;
  std::vector<Hdf5Problem> problems;  // malformed structure, or what was not followed
};

// The offset of the HDF5 signature "\x89HDF\r\n\x1a\n" at 0 or at a power of
// two from 512 on (a user block precedes it); npos when there is none.
uint64_t FindHdf5Superblock(std::string_view data);

bool LooksLikeHdf5(std::string_view data);

// The root group's attributes. Never fails: what cannot be read is a problem.
Hdf5RootAttributes ReadHdf5RootAttributes(std::string_view data);

}  // namespace citadel::scan
