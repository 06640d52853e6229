#include "scan/pickle_machine.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <memory>
#include <unordered_map>
#include <vector>

namespace citadel::scan {
namespace {

constexpr size_t kMaxStack = size_t{1} << 20;
// What the symbolic memo may hold, in bytes of its entries: a pickle of
// millions of records memoizes millions of values, and one byte (MEMOIZE)
// adds an entry, so the bound is on memory, not on a count.
constexpr size_t kMaxMemoBytes = size_t{256} << 20;
constexpr size_t kMaxText = 4096;  // longer strings cannot be module or callable names

struct Value {
  enum class Kind : uint8_t { kOther, kMark, kString, kGlobal };
  Kind kind = Kind::kOther;
  // Shared, so that DUP, GET and the memo copy a pointer, not the text:
  // a million DUPs of a 4 KiB string must not cost 4 GiB.
  std::shared_ptr<const std::string> text;  // kString (≤ kMaxText) / kGlobal: the module
  std::shared_ptr<const std::string> name;  // kGlobal: the callable
  bool long_text = false;
};

Value Other() { return Value{}; }

class Walker {
 public:
  Walker(std::string_view data, uint64_t begin, PickleWalk& out)
      : data_(data), pos_(begin), out_(out) {}

  void Run() {
    while (pos_ < data_.size()) {
      op_offset_ = pos_;
      const auto op = static_cast<unsigned char>(data_[pos_++]);
      ++out_.opcodes;
      if (op == '.') {  // STOP
        out_.complete = true;
        out_.end = pos_;
        return;
      }
      if (!Step(op)) {
        out_.end = op_offset_;
        return;
      }
    }
    op_offset_ = pos_;
    Fail("the data ends before the pickle's STOP opcode (truncated)");
    out_.end = pos_;
  }

 private:
  bool Fail(std::string why) {
    if (!out_.error) {
      out_.error = std::move(why);
      out_.error_offset = op_offset_;
    }
    return false;
  }

  bool Take(uint64_t n, std::string_view& bytes) {
    if (n > data_.size() - pos_) {
      return Fail(
          fmt::format("an argument of {} bytes runs past the end of the data (truncated)", n));
    }
    bytes = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }

  bool Uint(size_t width, uint64_t& value) {
    std::string_view bytes;
    if (!Take(width, bytes)) return false;
    value = 0;
    for (size_t i = 0; i < width; ++i) {
      value |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
    }
    return true;
  }

  bool Line(std::string_view& line) {
    const size_t newline = data_.find('\n', pos_);
    if (newline == std::string_view::npos) {
      return Fail("a text argument has no end of line (truncated)");
    }
    line = data_.substr(pos_, newline - pos_);
    pos_ = newline + 1;
    return true;
  }

  bool Push(Value v) {
    if (stack_.size() >= kMaxStack) return Fail("the stack grows past 2^20 entries");
    stack_.push_back(std::move(v));
    return true;
  }

  bool Pop(Value& v) {
    if (stack_.empty()) return Fail("an opcode needs a value but the stack is empty");
    v = std::move(stack_.back());
    stack_.pop_back();
    return true;
  }

  bool Top(Value*& v) {
    if (stack_.empty()) return Fail("an opcode needs a value but the stack is empty");
    v = &stack_.back();
    return true;
  }

  // Pops everything down to the topmost MARK (and the mark).
  bool PopMark(std::vector<Value>* items = nullptr) {
    for (size_t i = stack_.size(); i-- > 0;) {
      if (stack_[i].kind == Value::Kind::kMark) {
        if (items != nullptr) {
          items->assign(std::make_move_iterator(stack_.begin() + static_cast<ptrdiff_t>(i) + 1),
                        std::make_move_iterator(stack_.end()));
        }
        stack_.resize(i);
        return true;
      }
    }
    return Fail("an opcode needs a MARK but the stack holds none");
  }

  bool PopN(size_t n) {
    Value ignored;
    for (size_t i = 0; i < n; ++i) {
      if (!Pop(ignored)) return false;
    }
    return true;
  }

  bool PushString(std::string_view s) {
    Value v;
    v.kind = Value::Kind::kString;
    if (s.size() <= kMaxText) {
      v.text = std::make_shared<const std::string>(s);
    } else {
      v.long_text = true;
    }
    return Push(std::move(v));
  }

  bool PushBytes(std::string_view bytes) {
    if (LooksLikeBinaryPickle(bytes)) out_.nested.push_back({op_offset_, std::string(bytes)});
    return PushString(bytes);
  }

  bool PushGlobal(std::string_view module, std::string_view name) {
    out_.globals.push_back({std::string(module), std::string(name), op_offset_});
    Value v;
    v.kind = Value::Kind::kGlobal;
    v.text = std::make_shared<const std::string>(module);
    v.name = std::make_shared<const std::string>(name);
    return Push(std::move(v));
  }

  void RecordCall(const Value& callable, std::string_view opcode) {
    PickleCall call;
    if (callable.kind == Value::Kind::kGlobal) {
      call.module = *callable.text;
      call.name = *callable.name;
    }
    call.opcode = std::string(opcode);
    call.offset = op_offset_;
    out_.calls.push_back(std::move(call));
  }

  // Keys stored in order (MEMOIZE, and the PUTs protocols 0–3 write) live
  // in a vector; others in a map. The two never hold the same key, so their
  // sizes add up to len(memo), which MEMOIZE uses as its key.
  bool MemoPut(uint64_t key) {
    Value* top = nullptr;
    if (!Top(top)) return false;
    if (key < memo_dense_.size()) {
      memo_dense_[key] = *top;
      return true;
    }
    if (auto it = memo_sparse_.find(key); it != memo_sparse_.end()) {
      it->second = *top;
      return true;
    }
    if (MemoBytes() >= kMaxMemoBytes) return Fail("the memo grows past 256 MiB");
    if (key == memo_dense_.size()) {
      memo_dense_.push_back(*top);
    } else {
      memo_sparse_.emplace(key, *top);
    }
    return true;
  }

  bool MemoGet(uint64_t key) {
    if (key < memo_dense_.size()) return Push(memo_dense_[key]);
    auto it = memo_sparse_.find(key);
    if (it == memo_sparse_.end()) {
      return Fail(fmt::format("memo key {} is read but never stored", key));
    }
    return Push(it->second);
  }

  uint64_t MemoSize() const { return memo_dense_.size() + memo_sparse_.size(); }
  size_t MemoBytes() const {
    constexpr size_t kMapNodeBytes = sizeof(Value) + 48;  // key, hash, links, bucket
    return memo_dense_.capacity() * sizeof(Value) + memo_sparse_.size() * kMapNodeBytes;
  }

  // A memo key as Python's int() reads it: surrounding whitespace, an
  // optional sign, digits with single underscores between them (" 0", "+0"
  // and "0_0" are all key 0 to an unpickler, so they must be here too).
  static bool ParseDecimal(std::string_view text, uint64_t& value) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
      text.remove_prefix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
      text.remove_suffix(1);
    }
    bool negative = false;
    if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
      negative = text.front() == '-';
      text.remove_prefix(1);
    }
    if (text.empty() || text.front() == '_' || text.back() == '_') return false;
    value = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      if (c == '_') {
        if (text[i - 1] == '_') return false;
        continue;
      }
      if (c < '0' || c > '9') return false;
      if (value > (UINT64_MAX - 9) / 10) return false;
      value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    // A negative key is a distinct (if odd) key: keep it apart from positives.
    if (negative && value != 0) value = ~value;
    return true;
  }

  // Module and callable names are short; a huge one is an attack on the
  // scanner's memory (each DUP or GET would copy it), not a name.
  bool CheckNameLength(std::string_view module, std::string_view name) {
    if (module.size() + name.size() <= kMaxText) return true;
    return Fail(fmt::format("a global name of {} bytes (names are at most {})",
                            module.size() + name.size(), kMaxText));
  }

  // Protocol 0 strings are Python reprs: 'text' or "text".
  static std::string_view Unquote(std::string_view s) {
    if (s.size() >= 2 && (s.front() == '\'' || s.front() == '"') && s.back() == s.front()) {
      return s.substr(1, s.size() - 2);
    }
    return s;
  }

  bool Step(unsigned char op) {
    std::string_view text;
    uint64_t n = 0;
    Value a;
    switch (op) {
      case '(':  // MARK
        a.kind = Value::Kind::kMark;
        return Push(std::move(a));
      case '0':  // POP
        return Pop(a);
      case '1':  // POP_MARK
        return PopMark();
      case '2': {  // DUP
        Value* top = nullptr;
        return Top(top) && Push(*top);
      }
      case 'F':  // FLOAT
      case 'I':  // INT
      case 'L':  // LONG
        return Line(text) && Push(Other());
      case 'J':  // BININT
        return Uint(4, n) && Push(Other());
      case 'K':  // BININT1
        return Uint(1, n) && Push(Other());
      case 'M':  // BININT2
        return Uint(2, n) && Push(Other());
      case 'G':  // BINFLOAT
        return Uint(8, n) && Push(Other());
      case 0x8a:  // LONG1
        return Uint(1, n) && Take(n, text) && Push(Other());
      case 0x8b:  // LONG4
        return Uint(4, n) && Take(n, text) && Push(Other());
      case 'N':   // NONE
      case 0x88:  // NEWTRUE
      case 0x89:  // NEWFALSE
      case ')':   // EMPTY_TUPLE
      case ']':   // EMPTY_LIST
      case '}':   // EMPTY_DICT
      case 0x8f:  // EMPTY_SET
        return Push(Other());
      case 'S':  // STRING
        return Line(text) && PushString(Unquote(text));
      case 'V':  // UNICODE
        return Line(text) && PushString(text);
      case 'T':  // BINSTRING
      case 'X':  // BINUNICODE
        return Uint(4, n) && Take(n, text) && (op == 'T' ? PushBytes(text) : PushString(text));
      case 'U':  // SHORT_BINSTRING
        return Uint(1, n) && Take(n, text) && PushBytes(text);
      case 0x8c:  // SHORT_BINUNICODE
        return Uint(1, n) && Take(n, text) && PushString(text);
      case 0x8d:  // BINUNICODE8
        return Uint(8, n) && Take(n, text) && PushString(text);
      case 'B':  // BINBYTES
        return Uint(4, n) && Take(n, text) && PushBytes(text);
      case 'C':  // SHORT_BINBYTES
        return Uint(1, n) && Take(n, text) && PushBytes(text);
      case 0x8e:  // BINBYTES8
      case 0x96:  // BYTEARRAY8
        return Uint(8, n) && Take(n, text) && PushBytes(text);
      case 0x97:  // NEXT_BUFFER (out-of-band data: nothing to inspect here)
        return Push(Other());
      case 0x98: {  // READONLY_BUFFER
        Value* top = nullptr;
        return Top(top);
      }
      case 'a': {  // APPEND: the value goes into the list below it
        Value* list = nullptr;
        return Pop(a) && Top(list);
      }
      default:
        return StepMore(op);
    }
  }

  bool StepMore(unsigned char op) {
    std::string_view text, text2;
    uint64_t n = 0;
    Value a, b, c;
    std::vector<Value> items;
    switch (op) {
      case 'e':   // APPENDS
      case 'u':   // SETITEMS
      case 0x90:  // ADDITEMS
        return PopMark();
      case 's':  // SETITEM
        return PopN(2);
      case 'd':   // DICT
      case 'l':   // LIST
      case 't':   // TUPLE
      case 0x91:  // FROZENSET
        return PopMark() && Push(Other());
      case 0x85:  // TUPLE1
        return PopN(1) && Push(Other());
      case 0x86:  // TUPLE2
        return PopN(2) && Push(Other());
      case 0x87:  // TUPLE3
        return PopN(3) && Push(Other());
      case 'c':  // GLOBAL
        return Line(text) && Line(text2) && CheckNameLength(text, text2) && PushGlobal(text, text2);
      case 0x93: {  // STACK_GLOBAL
        if (!Pop(b) || !Pop(a)) return false;
        if (a.kind != Value::Kind::kString || b.kind != Value::Kind::kString || a.long_text ||
            b.long_text) {
          out_.unresolved.push_back(fmt::format(
              "STACK_GLOBAL at offset {} takes its names from computed values", op_offset_));
          return PushGlobal("?", "?");
        }
        return PushGlobal(*a.text, *b.text);
      }
      case 'i': {  // INST
        if (!Line(text) || !Line(text2) || !CheckNameLength(text, text2)) return false;
        out_.globals.push_back({std::string(text), std::string(text2), op_offset_});
        if (!PopMark()) return false;
        a.kind = Value::Kind::kGlobal;
        a.text = std::make_shared<const std::string>(text);
        a.name = std::make_shared<const std::string>(text2);
        RecordCall(a, "INST");
        return Push(Other());
      }
      case 'o':  // OBJ
        if (!PopMark(&items)) return false;
        if (items.empty()) return Fail("OBJ without a class after its MARK");
        RecordCall(items.front(), "OBJ");
        return Push(Other());
      case 'R':  // REDUCE
        if (!Pop(b) || !Pop(a)) return false;
        RecordCall(a, "REDUCE");
        return Push(Other());
      case 0x81:  // NEWOBJ
        if (!Pop(b) || !Pop(a)) return false;
        RecordCall(a, "NEWOBJ");
        return Push(Other());
      case 0x92:  // NEWOBJ_EX
        if (!Pop(c) || !Pop(b) || !Pop(a)) return false;
        RecordCall(a, "NEWOBJ_EX");
        return Push(Other());
      case 'b': {  // BUILD: the state goes to the object below it
        Value* top = nullptr;
        return Pop(a) && Top(top);
      }
      case 'P':  // PERSID
        return Line(text) && Push(Other());
      case 'Q':  // BINPERSID
        return Pop(a) && Push(Other());
      case 'g':  // GET
        return Line(text) && (ParseDecimal(text, n) || Fail("GET with a malformed key")) &&
               MemoGet(n);
      case 'h':  // BINGET
        return Uint(1, n) && MemoGet(n);
      case 'j':  // LONG_BINGET
        return Uint(4, n) && MemoGet(n);
      case 'p':  // PUT
        return Line(text) && (ParseDecimal(text, n) || Fail("PUT with a malformed key")) &&
               MemoPut(n);
      case 'q':  // BINPUT
        return Uint(1, n) && MemoPut(n);
      case 'r':  // LONG_BINPUT
        return Uint(4, n) && MemoPut(n);
      case 0x94:  // MEMOIZE
        return MemoPut(MemoSize());
      case 0x82:  // EXT1
      case 0x83:  // EXT2
      case 0x84:  // EXT4
        if (!Uint(op == 0x82 ? 1 : op == 0x83 ? 2 : 4, n)) return false;
        out_.unresolved.push_back(fmt::format(
            "extension code {} at offset {} names a registered callable", n, op_offset_));
        return PushGlobal("?", fmt::format("<extension {}>", n));
      case 0x80:  // PROTO
        if (!Uint(1, n)) return false;
        if (n > 5) return Fail(fmt::format("unsupported pickle protocol {}", n));
        out_.protocol = static_cast<int>(n);
        return true;
      case 0x95:  // FRAME
        return Uint(8, n);
      default:
        return Fail(fmt::format("unknown opcode 0x{:02x}", op));
    }
  }

  std::string_view data_;
  uint64_t pos_;
  uint64_t op_offset_ = 0;
  PickleWalk& out_;
  std::vector<Value> stack_;
  std::vector<Value> memo_dense_;
  std::unordered_map<uint64_t, Value> memo_sparse_;
};

}  // namespace

PickleWalk WalkPickle(std::string_view data, uint64_t begin) {
  PickleWalk out;
  out.end = begin;
  Walker(data, begin, out).Run();
  return out;
}

bool LooksLikeBinaryPickle(std::string_view data) {
  return data.size() >= 3 && static_cast<unsigned char>(data[0]) == 0x80 &&
         static_cast<unsigned char>(data[1]) >= 2 && static_cast<unsigned char>(data[1]) <= 5;
}

}  // namespace citadel::scan
