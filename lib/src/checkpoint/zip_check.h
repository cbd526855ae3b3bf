// The zip container of a LibTorch archive, checked before LibTorch parses it: the directory is
// whole and every entry matches its CRC-32. LibTorch skips these checks, and a flipped byte in
// an archive's TorchScript code then crashes its parser.
#pragma once

#include <string>

namespace digits::detail {

// "" when `bytes` is a whole, undamaged zip file; otherwise what is wrong, in a user's words.
std::string verify_zip(const std::string& bytes);

}  // namespace digits::detail
