// A pickle machine that follows only what LibTorch's archives hold: strings, integers, globals,
// tuples, the storages that persistent ids name and the tensors _rebuild_tensor_v2 makes of them;
// everything else is an opaque value. It runs every opcode LibTorch's pickler writes (protocol 2,
// with protocol 3 and 4's binary forms), so the storages it sees are those LibTorch will read.
#include "checkpoint/pickle_check.h"

#include <cstring>
#include <map>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

namespace digits::detail {

namespace {

struct Value {
  enum class Kind { kOther, kMark, kString, kInt, kGlobal, kTuple, kStorage };
  Kind kind = Kind::kOther;
  std::string text;                                 // a string; a global as "module name"
  int64_t number = 0;                               // an integer; a storage's element count
  int64_t item_size = 0;                            // a storage's bytes per element
  std::shared_ptr<const std::vector<Value>> items;  // a tuple's

  static Value of(Kind k) {
    Value v;
    v.kind = k;
    return v;
  }
};

// Bytes per element of the storage classes LibTorch names ("torch FloatStorage"); 0: none.
int64_t item_size(const std::string& global) {
  static const std::map<std::string, int64_t> sizes = {
      {"Byte", 1},        {"Char", 1},         {"Short", 2},          {"Int", 4},
      {"Long", 8},        {"Half", 2},         {"Float", 4},          {"Double", 8},
      {"ComplexHalf", 4}, {"ComplexFloat", 8}, {"ComplexDouble", 16}, {"Bool", 1},
      {"QInt8", 1},       {"QUInt8", 1},       {"QInt32", 4},         {"BFloat16", 2},
      {"QUInt4x2", 1},    {"QUInt2x4", 1},
  };
  const std::string prefix = "torch ", suffix = "Storage";
  if (global.size() <= prefix.size() + suffix.size() || global.compare(0, prefix.size(), prefix) ||
      global.compare(global.size() - suffix.size(), suffix.size(), suffix)) {
    return 0;
  }
  const auto it =
      sizes.find(global.substr(prefix.size(), global.size() - prefix.size() - suffix.size()));
  return it == sizes.end() ? 0 : it->second;
}

class Machine {
 public:
  Machine(const std::string& bytes, const std::string& name,
          const std::function<std::optional<DataEntry>(const std::string&)>& data_entry)
      : b_(bytes), name_(name), data_entry_(data_entry) {}

  std::string run() {
    while (problem_.empty()) {
      if (at_ >= b_.size()) return damaged("it ends before its STOP");
      const auto op = static_cast<unsigned char>(b_[at_++]);
      if (op == '.') return {};  // STOP
      step(op);
    }
    return problem_;
  }

 private:
  using Kind = Value::Kind;

  std::string damaged(const std::string& what) {
    if (problem_.empty()) problem_ = "damaged checkpoint: '" + name_ + "' " + what;
    return problem_;
  }

  bool need(uint64_t n) {
    if (b_.size() - at_ >= n) return true;
    damaged("ends inside an instruction");
    return false;
  }
  uint64_t le(int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b_[at_ + i]);
    at_ += n;
    return v;
  }
  // A length-prefixed string of `n` length bytes.
  std::optional<std::string> counted(int n) {
    if (!need(n)) return std::nullopt;
    const uint64_t len = le(n);
    if (!need(len)) return std::nullopt;
    std::string s = b_.substr(at_, len);
    at_ += len;
    return s;
  }
  std::optional<std::string> line() {
    const size_t end = b_.find('\n', at_);
    if (end == std::string::npos) {
      damaged("ends inside a name");
      return std::nullopt;
    }
    std::string s = b_.substr(at_, end - at_);
    at_ = end + 1;
    return s;
  }

  void push(Value v) { stack_.push_back(std::move(v)); }
  void push_string(std::optional<std::string> s) {
    if (!s) return;
    Value v = Value::of(Kind::kString);
    v.text = std::move(*s);
    push(std::move(v));
  }
  void push_int(int64_t n) {
    Value v = Value::of(Kind::kInt);
    v.number = n;
    push(std::move(v));
  }
  std::optional<Value> pop() {
    if (stack_.empty() || stack_.back().kind == Kind::kMark) {
      damaged("takes a value from an empty stack");
      return std::nullopt;
    }
    Value v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  // The values above the topmost mark, which goes too.
  std::optional<std::vector<Value>> pop_mark() {
    size_t mark = stack_.size();
    while (mark > 0 && stack_[mark - 1].kind != Kind::kMark) --mark;
    if (mark == 0) {
      damaged("closes a mark it never opened");
      return std::nullopt;
    }
    std::vector<Value> items(std::make_move_iterator(stack_.begin() + mark),
                             std::make_move_iterator(stack_.end()));
    stack_.resize(mark - 1);
    return items;
  }
  void push_tuple(std::vector<Value> items) {
    Value v = Value::of(Kind::kTuple);
    v.items = std::make_shared<const std::vector<Value>>(std::move(items));
    push(std::move(v));
  }
  void tuple_of(size_t n) {
    if (stack_.size() < n) {
      damaged("takes a value from an empty stack");
      return;
    }
    std::vector<Value> items;
    for (size_t i = stack_.size() - n; i < stack_.size(); ++i) {
      if (stack_[i].kind == Kind::kMark) {
        damaged("takes a value from an empty stack");
        return;
      }
      items.push_back(std::move(stack_[i]));
    }
    stack_.resize(stack_.size() - n);
    push_tuple(std::move(items));
  }
  void put(uint64_t index) {
    if (stack_.empty() || stack_.back().kind == Kind::kMark) {
      damaged("memoizes a value from an empty stack");
      return;
    }
    memo_[index] = stack_.back();
  }
  void get(uint64_t index) {
    const auto it = memo_.find(index);
    if (it == memo_.end()) {
      damaged("refers to a value it never stored");
      return;
    }
    push(it->second);
  }

  // A persistent id: ('storage', torch.XStorage, key, location, numel), whose data LibTorch reads
  // from the entry of `key`, trusting numel.
  void storage() {
    auto id = pop();
    if (!id) return;
    const auto* items = id->kind == Kind::kTuple ? id->items.get() : nullptr;
    if (items == nullptr || items->size() < 5 || (*items)[0].kind != Kind::kString ||
        (*items)[0].text != "storage" || (*items)[1].kind != Kind::kGlobal ||
        (*items)[2].kind != Kind::kString || (*items)[4].kind != Kind::kInt) {
      damaged("refers to a tensor's data in a form LibTorch does not write");
      return;
    }
    const std::string& key = (*items)[2].text;
    const int64_t size = item_size((*items)[1].text);
    const int64_t numel = (*items)[4].number;
    if (size == 0) {
      damaged("names the unknown storage type '" + (*items)[1].text + "'");
      return;
    }
    if (numel < 0) {
      damaged("gives tensor data '" + key + "' a negative size");
      return;
    }
    if (numel > 0) {
      const auto entry = data_entry_(key);
      if (!entry) {
        damaged("refers to tensor data '" + key + "', which the archive does not hold");
        return;
      }
      if (static_cast<uint64_t>(numel) > entry->size / static_cast<uint64_t>(size)) {
        problem_ = "damaged checkpoint: the tensor data in '" + entry->name +
                   "' is shorter than its tensor (" + std::to_string(entry->size) + " bytes, " +
                   (static_cast<uint64_t>(numel) > UINT64_MAX / static_cast<uint64_t>(size)
                        ? std::string("far more")
                        : std::to_string(static_cast<uint64_t>(numel) * size)) +
                   " declared)";
        return;
      }
    }
    Value v = Value::of(Kind::kStorage);
    v.text = key;
    v.number = numel;
    v.item_size = size;
    push(std::move(v));
  }

  // _rebuild_tensor_v2(storage, offset, sizes, strides, ...): the tensor's elements must lie in
  // its storage.
  void rebuild(const Value& args) {
    const auto* a = args.kind == Kind::kTuple ? args.items.get() : nullptr;
    if (a == nullptr || a->empty() || (*a)[0].kind != Kind::kStorage) return;  // not from a file
    if (a->size() < 4 || (*a)[1].kind != Kind::kInt || (*a)[2].kind != Kind::kTuple ||
        (*a)[3].kind != Kind::kTuple || (*a)[2].items->size() != (*a)[3].items->size()) {
      damaged("rebuilds a tensor in a form LibTorch does not write");
      return;
    }
    const Value& storage = (*a)[0];
    const int64_t offset = (*a)[1].number;
    const auto& sizes = *(*a)[2].items;
    const auto& strides = *(*a)[3].items;
    unsigned __int128 last = offset < 0 ? 0 : static_cast<uint64_t>(offset);
    bool empty = false;
    for (size_t i = 0; i < sizes.size(); ++i) {
      if (sizes[i].kind != Kind::kInt || strides[i].kind != Kind::kInt || sizes[i].number < 0 ||
          strides[i].number < 0 || offset < 0) {
        damaged("rebuilds a tensor of tensor data '" + storage.text +
                "' with a negative size, stride or offset");
        return;
      }
      if (sizes[i].number == 0) empty = true;
      if (sizes[i].number > 0) {
        last += static_cast<unsigned __int128>(sizes[i].number - 1) *
                static_cast<uint64_t>(strides[i].number);
      }
    }
    if (!empty && last >= static_cast<uint64_t>(storage.number)) {
      damaged("rebuilds a tensor that reaches past the end of its data '" + storage.text + "'");
    }
  }

  void step(unsigned char op) {
    switch (op) {
      case 0x80:  // PROTO
        if (need(1)) ++at_;
        return;
      case 0x95:  // FRAME
        if (need(8)) at_ += 8;
        return;
      case '(':  // MARK
        push(Value::of(Kind::kMark));
        return;
      case '0':  // POP
        pop();
        return;
      case '1':  // POP_MARK
        pop_mark();
        return;
      case '2':  // DUP
        if (auto v = pop()) {
          push(*v);
          push(*v);
        }
        return;
      case 'J':  // BININT
        if (need(4)) push_int(static_cast<int32_t>(static_cast<uint32_t>(le(4))));
        return;
      case 'K':  // BININT1
        if (need(1)) push_int(static_cast<int64_t>(le(1)));
        return;
      case 'M':  // BININT2
        if (need(2)) push_int(static_cast<int64_t>(le(2)));
        return;
      case 0x8a: {  // LONG1: n bytes, two's complement
        if (!need(1)) return;
        const auto n = static_cast<int>(le(1));
        if (!need(n)) return;
        if (n == 0 || n > 8) {
          at_ += n;
          push(Value::of(Kind::kOther));  // 0, or beyond 64 bits: no size or offset
          return;
        }
        uint64_t v = le(n);
        if (n < 8 && (v >> (8 * n - 1)) != 0) v |= ~uint64_t{0} << (8 * n);  // negative
        push_int(static_cast<int64_t>(v));
        return;
      }
      case 0x8b:  // LONG4
        if (auto s = counted(4)) push(Value::of(Kind::kOther));
        return;
      case 'N':   // NONE
      case 0x88:  // NEWTRUE
      case 0x89:  // NEWFALSE
      case ']':   // EMPTY_LIST
      case '}':   // EMPTY_DICT
      case 0x8f:  // EMPTY_SET
        push(Value::of(Kind::kOther));
        return;
      case 'G':  // BINFLOAT
        if (need(8)) {
          at_ += 8;
          push(Value::of(Kind::kOther));
        }
        return;
      case 'X':  // BINUNICODE
      case 'T':  // BINSTRING
        push_string(counted(4));
        return;
      case 0x8c:  // SHORT_BINUNICODE
      case 'U':   // SHORT_BINSTRING
        push_string(counted(1));
        return;
      case 0x8d:  // BINUNICODE8
        push_string(counted(8));
        return;
      case 'B':   // BINBYTES
      case 'C':   // SHORT_BINBYTES
      case 0x8e:  // BINBYTES8
        if (counted(op == 'B' ? 4 : op == 'C' ? 1 : 8)) push(Value::of(Kind::kOther));
        return;
      case ')':  // EMPTY_TUPLE
        push_tuple({});
        return;
      case 't':  // TUPLE
        if (auto items = pop_mark()) push_tuple(std::move(*items));
        return;
      case 0x85:  // TUPLE1
      case 0x86:  // TUPLE2
      case 0x87:  // TUPLE3
        tuple_of(op - 0x84);
        return;
      case 'l':   // LIST
      case 'd':   // DICT
      case 0x91:  // FROZENSET
        if (pop_mark()) push(Value::of(Kind::kOther));
        return;
      case 'a':  // APPEND
        pop();
        return;
      case 's':  // SETITEM
        if (pop()) pop();
        return;
      case 'e':   // APPENDS
      case 'u':   // SETITEMS
      case 0x90:  // ADDITEMS
        pop_mark();
        return;
      case 'c': {  // GLOBAL
        auto module = line();
        if (!module) return;
        auto name = line();
        if (!name) return;
        Value v = Value::of(Kind::kGlobal);
        v.text = *module + " " + *name;
        push(std::move(v));
        return;
      }
      case 0x93: {  // STACK_GLOBAL
        auto name = pop();
        if (!name) return;
        auto module = pop();
        if (!module) return;
        Value v = Value::of(Kind::kGlobal);
        v.text = module->text + " " + name->text;
        push(std::move(v));
        return;
      }
      case 'q':  // BINPUT
        if (need(1)) put(le(1));
        return;
      case 'r':  // LONG_BINPUT
        if (need(4)) put(le(4));
        return;
      case 0x94:  // MEMOIZE
        put(memo_.size());
        return;
      case 'h':  // BINGET
        if (need(1)) get(le(1));
        return;
      case 'j':  // LONG_BINGET
        if (need(4)) get(le(4));
        return;
      case 'Q':  // BINPERSID
        storage();
        return;
      case 'R': {  // REDUCE
        auto args = pop();
        if (!args) return;
        auto callable = pop();
        if (!callable) return;
        if (callable->kind == Kind::kGlobal &&
            callable->text == "torch._utils _rebuild_tensor_v2") {
          rebuild(*args);
        }
        push(Value::of(Kind::kOther));
        return;
      }
      case 'b':  // BUILD: the state goes into the object below it
        pop();
        return;
      case 0x81:  // NEWOBJ
        if (pop() && pop()) push(Value::of(Kind::kOther));
        return;
      case 0x92:  // NEWOBJ_EX
        if (pop() && pop() && pop()) push(Value::of(Kind::kOther));
        return;
      default: {
        const char* hex = "0123456789abcdef";
        damaged(std::string("holds pickle opcode 0x") + hex[op >> 4] + hex[op & 15] + " at byte " +
                std::to_string(at_ - 1) + ", which LibTorch archives never hold");
        return;
      }
    }
  }

  const std::string& b_;
  const std::string& name_;
  const std::function<std::optional<DataEntry>(const std::string&)>& data_entry_;
  size_t at_ = 0;
  std::vector<Value> stack_;
  std::unordered_map<uint64_t, Value> memo_;
  std::string problem_;
};

}  // namespace

std::string check_pickled_tensors(
    const std::string& bytes, const std::string& name,
    const std::function<std::optional<DataEntry>(const std::string& key)>& data_entry) {
  return Machine(bytes, name, data_entry).run();
}

}  // namespace digits::detail
