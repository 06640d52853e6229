// PickleMachine: walks the opcodes of a pickle (protocols 0–5) the way an
// unpickler would, without executing or importing anything. It keeps a
// symbolic stack and memo — enough to know which global each call applies
// to — so the usual evasions do not hide a call: a global stored in the
// memo and fetched back (PUT / GET / MEMOIZE), STACK_GLOBAL with names built
// from strings, INST / OBJ of protocol 0 and 1, NEWOBJ / NEWOBJ_EX.
//
// Reports every global referenced and every call of one (REDUCE, INST, OBJ,
// NEWOBJ, NEWOBJ_EX), the byte strings that are themselves pickles (nested:
// the caller scans them), and malformed input (truncated data, an unknown
// opcode, a stack or memo that does not hold what an opcode needs) with its
// offset — never a crash. Bounded: the stack and the memo hold at most 2^20
// entries each, a string value keeps at most 4 KiB of text and a global
// name 4 KiB, and copies (DUP, GET, PUT) share the text instead of copying
// it. Memo keys are read as Python's int() reads them (" 0", "+0", "0_0").
//
// Thread-compatible; each Walk is independent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace citadel::scan {

struct PickleGlobal {
  std::string module;
  std::string name;
  uint64_t offset = 0;  // of the opcode that named it
};

struct PickleCall {
  std::string module;  // of the called global; empty when the callable is not a global
  std::string name;
  std::string opcode;  // REDUCE, INST, OBJ, NEWOBJ, NEWOBJ_EX
  uint64_t offset = 0;
};

struct NestedPickle {
  uint64_t offset = 0;  // of the opcode that pushed the bytes
  std::string bytes;
};

struct PickleWalk {
  int protocol = 0;       // from PROTO; 0 when absent
  uint64_t end = 0;       // offset just past STOP (or where the walk stopped)
  bool complete = false;  // reached STOP
  size_t opcodes = 0;
  std::vector<PickleGlobal> globals;
  std::vector<PickleCall> calls;
  std::vector<NestedPickle> nested;
  std::vector<std::string> unresolved;  // STACK_GLOBAL / EXT names that are not constants
  // Malformed input: what was wrong and where; the walk stops there.
  std::optional<std::string> error;
  uint64_t error_offset = 0;
};

// Walks the pickle starting at `begin` of `data` up to its STOP.
PickleWalk WalkPickle(std::string_view data, uint64_t begin = 0);

// True when `data` starts like a pickle of protocol 2 or later (PROTO n,
// 2 ≤ n ≤ 5): used to spot pickles inside byte strings and archives.
bool LooksLikeBinaryPickle(std::string_view data);

}  // namespace citadel::scan
