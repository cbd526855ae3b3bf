// The zip container of a LibTorch archive, checked before LibTorch parses it: the directory is
// whole, every entry matches its CRC-32 and is named once, and every tensor its pickles declare
// fits the entry holding its data (pickle_check.h). LibTorch skips these checks: a flipped byte
// in an archive's TorchScript code crashed its parser, a short tensor entry was read past its end.
#pragma once

#include <string>

namespace digits::detail {

// "" when `bytes` is a whole, undamaged zip file whose tensors fit their data; otherwise what is
// wrong, in a user's words.
std::string verify_zip(const std::string& bytes);

}  // namespace digits::detail
