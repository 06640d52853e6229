// The pickle machine on hand-assembled pickles: every way of naming and
// calling a global, the memo and nesting evasions, and broken streams.
#include "scan/pickle_machine.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace citadel::scan {
namespace {

using namespace std::string_literals;

std::string Calls(const PickleWalk& walk) {
  std::string out;
  for (const PickleCall& c : walk.calls) {
    out += (out.empty() ? "" : " ") + c.opcode + ":" + c.module + "." + c.name;
  }
  return out;
}

TEST(PickleMachine, GlobalThenReduceIsACallOfThatGlobal) {
  // protocol 2: GLOBAL posix system, BINPUT 0, SHORT_BINUNICODE "ls", TUPLE1, REDUCE, STOP
  const std::string p =
      "\x80\x02"
      "cposix\nsystem\nq\x00\x8c\x02ls\x85R."s;
  PickleWalk walk = WalkPickle(p);
  EXPECT_TRUE(walk.complete);
  EXPECT_FALSE(walk.error);
  EXPECT_EQ(walk.protocol, 2);
  EXPECT_EQ(Calls(walk), "REDUCE:posix.system");
  ASSERT_EQ(walk.globals.size(), 1u);
  EXPECT_EQ(walk.globals[0].offset, 2u);
  EXPECT_EQ(walk.end, p.size());
}

TEST(PickleMachine, StackGlobalNamesComeFromStringsOnTheStack) {
  // protocol 4: "os" MEMOIZE "system" MEMOIZE STACK_GLOBAL … REDUCE
  const std::string p =
      "\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00"
      "\x8c\x02os\x94\x8c\x06system\x94\x93\x94\x8c\x02ls\x94\x85\x94R\x94."s;
  PickleWalk walk = WalkPickle(p);
  EXPECT_TRUE(walk.complete) << walk.error.value_or("");
  EXPECT_EQ(Calls(walk), "REDUCE:os.system");
}

TEST(PickleMachine, AGlobalHiddenInTheMemoIsStillTheCallable) {
  // GLOBAL builtins eval, BINPUT 7, POP, … later BINGET 7, args, REDUCE.
  const std::string p =
      "\x80\x02"
      "cbuiltins\neval\nq\x07"
      "0"
      "N0"
      "h\x07\x8c\x04"
      "1+1\x85R."s;
  PickleWalk walk = WalkPickle(p);
  EXPECT_TRUE(walk.complete) << walk.error.value_or("");
  EXPECT_EQ(Calls(walk), "REDUCE:builtins.eval");
}

// Millions of memoized values (a pickle of many records) are tracked, and
// a global memoized after them is still found; only memory bounds the memo.
TEST(PickleMachine, ALargeMemoIsTrackedAndOnlyItsBytesAreBounded) {
  std::string p = "\x80\x04"s;
  for (int i = 0; i < 3'000'000; ++i)
    p += "K\x01\x94"
         "0"s;  // BININT1 1, MEMOIZE, POP
  // GLOBAL builtins eval, MEMOIZE (key 3000000), POP, … BINGET by LONG_BINGET, args, REDUCE.
  p += "cbuiltins\neval\n\x94"
       "0"
       "j\xc0\xc6\x2d\x00"  // LONG_BINGET 3000000
       "\x8c\x03"
       "1+1\x85R."s;
  PickleWalk walk = WalkPickle(p);
  EXPECT_TRUE(walk.complete) << walk.error.value_or("");
  EXPECT_FALSE(walk.error);
  EXPECT_EQ(Calls(walk), "REDUCE:builtins.eval");

  // One byte per entry cannot grow the memo without bound.
  std::string bomb = "\x80\x04K\x01"s + std::string(40'000'000, '\x94');
  PickleWalk bounded = WalkPickle(bomb);
  ASSERT_TRUE(bounded.error);
  EXPECT_NE(bounded.error->find("memo grows past"), std::string::npos) << *bounded.error;
}

TEST(PickleMachine, ProtocolZeroInstAndObjAndNewobjAreCalls) {
  EXPECT_EQ(Calls(WalkPickle("(S'ls'\nios\nsystem\n.")), "INST:os.system");
  EXPECT_EQ(Calls(WalkPickle("(cos\nsystem\nS'ls'\no.")), "OBJ:os.system");
  EXPECT_EQ(Calls(WalkPickle("\x80\x02"
                             "csubprocess\nPopen\n)\x81."s)),
            "NEWOBJ:subprocess.Popen");
  EXPECT_EQ(Calls(WalkPickle("\x80\x04"
                             "cshutil\nrmtree\n)}\x92."s)),
            "NEWOBJ_EX:shutil.rmtree");
}

TEST(PickleMachine, ComputedNamesAndExtensionsAreUnresolved) {
  // STACK_GLOBAL whose module name is the result of a call.
  const std::string p =
      "\x80\x04"
      "cbuiltins\nstr\n)R\x8c\x01x\x93)R."s;
  PickleWalk walk = WalkPickle(p);
  EXPECT_TRUE(walk.complete) << walk.error.value_or("");
  ASSERT_EQ(walk.unresolved.size(), 1u);
  EXPECT_NE(walk.unresolved[0].find("STACK_GLOBAL"), std::string::npos);
  EXPECT_EQ(WalkPickle("\x80\x02\x82\x05)R."s).unresolved.size(), 1u) << "EXT1";
}

TEST(PickleMachine, BytesThatArePicklesAreReportedAsNested) {
  const std::string inner =
      "\x80\x02"
      "cos\nsystem\nX\x02\x00\x00\x00ls\x85R."s;
  // {inner bytes: None}: EMPTY_DICT, SHORT_BINBYTES, NONE, SETITEM.
  const std::string p = "\x80\x03}C"s + static_cast<char>(inner.size()) + inner + "Ns.";
  PickleWalk walk = WalkPickle(p);
  EXPECT_TRUE(walk.complete) << walk.error.value_or("");
  EXPECT_TRUE(walk.calls.empty());
  ASSERT_EQ(walk.nested.size(), 1u);
  EXPECT_EQ(walk.nested[0].bytes, inner);
  EXPECT_EQ(Calls(WalkPickle(walk.nested[0].bytes)), "REDUCE:os.system");
}

TEST(PickleMachine, BrokenStreamsAreErrorsWithOffsetsNeverCrashes) {
  const std::string good =
      "\x80\x02"
      "cposix\nsystem\nq\x00\x8c\x02ls\x85R."s;
  // Every truncation: an error, and the global is still seen once named.
  for (size_t n = 0; n < good.size(); ++n) {
    PickleWalk walk = WalkPickle(good.substr(0, n));
    EXPECT_FALSE(walk.complete) << n;
    EXPECT_TRUE(walk.error.has_value()) << n;
    if (n > 16) {
      EXPECT_EQ(walk.globals.size(), 1u) << n;
    }
  }
  PickleWalk unknown = WalkPickle("\x80\x02\xff."s);
  ASSERT_TRUE(unknown.error.has_value());
  EXPECT_NE(unknown.error->find("unknown opcode 0xff"), std::string::npos);
  EXPECT_EQ(unknown.error_offset, 2u);
  EXPECT_TRUE(WalkPickle("\x80\x09."s).error->find("protocol 9") != std::string::npos);
  EXPECT_TRUE(WalkPickle("R."s).error->find("stack is empty") != std::string::npos);
  EXPECT_TRUE(WalkPickle("h\x03."s).error->find("memo key 3") != std::string::npos);
  EXPECT_TRUE(WalkPickle("t."s).error->find("MARK") != std::string::npos);
  // A length that claims more than there is.
  EXPECT_TRUE(
      WalkPickle("\x80\x04\x8e\xff\xff\xff\xff\xff\xff\xff\x7f."s).error->find("truncated") !=
      std::string::npos);

  // Seeded random bytes: whatever they hold, the walk ends in STOP or an error.
  std::mt19937_64 rng(17);
  for (int i = 0; i < 2000; ++i) {
    std::string junk(1 + rng() % 64, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    if (i % 2 == 0) junk = "\x80\x02"s + junk;
    PickleWalk walk = WalkPickle(junk);
    EXPECT_TRUE(walk.complete || walk.error.has_value());
    EXPECT_LE(walk.end, junk.size());
  }
}

}  // namespace
}  // namespace citadel::scan
