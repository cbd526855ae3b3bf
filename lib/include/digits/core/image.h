// The shape of one digit, as MNIST and Kaggle define it.
#pragma once

#include <cstdint>

namespace digits {

inline constexpr int64_t kImageSide = 28;                    // 28 x 28 pixels
inline constexpr int64_t kPixels = kImageSide * kImageSide;  // 784, row-major
inline constexpr int64_t kClasses = 10;                      // digits 0..9

}  // namespace digits
