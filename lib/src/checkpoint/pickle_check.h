// Internal: the tensors a LibTorch archive's pickle (data.pkl, constants.pkl) declares, checked
// against the zip entries that hold their bytes before LibTorch reads any of them. LibTorch 1.13
// trusts a storage's declared size: an entry shorter than its tensor was read out of bounds
// (garbage weights, or a segmentation fault).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace digits::detail {

// "" when every storage the pickle `bytes` refers to fits the entry that holds its data, and every
// tensor it rebuilds lies within its storage; otherwise the problem, in a user's words. `name` is
// the pickle's entry ("archive/data.pkl"), named in messages; `data_entry(key)` gives the name and
// size of the entry holding storage `key`, nullopt when there is none. A pickle that does not
// read as LibTorch writes them (an opcode it never writes, a broken stack) is a problem too.
struct DataEntry {
  std::string name;
  uint64_t size = 0;
};
std::string check_pickled_tensors(
    const std::string& bytes, const std::string& name,
    const std::function<std::optional<DataEntry>(const std::string& key)>& data_entry);

}  // namespace digits::detail
