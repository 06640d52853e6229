// The fuzz harnesses: one function per parser, each feeding it arbitrary
// bytes and checking what must hold for any input (offsets inside the data,
// the two safetensors readers agreeing, …). They are plain functions, not
// libFuzzer entry points, so the same code runs in two places: the
// libFuzzer targets of the fuzz build (fuzz_target.cc, clang + sanitizers)
// and the corpus replay test of the regular build (corpus_replay_test.cc),
// which turns every checked-in corpus file into a regression case.
//
// A broken invariant aborts (FUZZ_CHECK) so that both libFuzzer and ctest
// report it as a crash with the input that caused it.
#pragma once

#include <string_view>

namespace citadel::fuzz {

// PickleMachine: walks from offset 0 and from an offset the input picks.
void FuzzPickle(std::string_view data);
// ZIP reader: the directory, then every entry read (inflated, CRC checked).
void FuzzZip(std::string_view data);
// safetensors: the scanner's strict check and formats::SafetensorsFile.
void FuzzSafetensors(std::string_view data);
// .npy: the scanner's header reader.
void FuzzNpy(std::string_view data);
// IDX: formats::ParseIdx and every element read back.
void FuzzIdx(std::string_view data);
// GGUF: the structure and chat-template checks.
void FuzzGguf(std::string_view data);
// ONNX: the protobuf wire reader and the ModelProto walk, both policies.
void FuzzOnnx(std::string_view data);
// HDF5 (legacy Keras .h5): the root-attribute walk and the configs in it.
void FuzzHdf5(std::string_view data);
// Keras / tokenizer JSON configs and the chat-template injection finder.
void FuzzKeras(std::string_view data);
// The whole scanner (ScanBytes): format detection and every reader behind it.
void FuzzScan(std::string_view data);

// Aborts with `what` (and where) when `condition` is false.
void CheckOrDie(bool condition, const char* what, const char* file, int line);

}  // namespace citadel::fuzz

#define FUZZ_CHECK(condition) \
  ::citadel::fuzz::CheckOrDie((condition), #condition, __FILE__, __LINE__)
