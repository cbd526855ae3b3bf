// Turning a drawing into a network input the way MNIST digits were made.
//
// MNIST's recipe (LeCun et al.): the ink's bounding box is scaled, keeping its aspect ratio, so
// that its longer side fits a 20x20 box, with grey levels averaged over the area each new pixel
// covers (anti-aliasing); the result is pasted into a 28x28 field so that its centre of mass
// sits at the field's centre. A drawing prepared the same way looks like the data the network
// learnt from, whatever its size or place on the canvas.
#pragma once

#include <torch/types.h>

#include <array>
#include <cstdint>

#include "digits/core/image.h"

namespace digits {

inline constexpr int64_t kDigitBox = 20;  // MNIST fits each digit's longer side to 20 pixels

// A grey raster: row-major, `width * height` bytes, 0 is background and 255 full ink.
struct GreyView {
  const uint8_t* pixels = nullptr;
  int64_t width = 0;
  int64_t height = 0;
};

// 28x28 row-major grey pixels (0 background, 255 ink).
using DigitPixels = std::array<uint8_t, kPixels>;

// The MNIST preparation of `drawing`: crop to the ink's bounding box (every non-zero pixel),
// scale into 20x20 keeping the aspect ratio with area-averaged grey levels, paste into 28x28
// with the centre of mass at row 14, column 14 (pixel indices, MNIST's own convention: the
// mean centre of mass of MNIST digits is there), shifted by whole pixels and kept inside. A
// drawing without ink gives all zeros. Plain C++, no LibTorch: about a millisecond for a
// 448x448 canvas.
DigitPixels prepare_digit(const GreyView& drawing);

// The same as a tensor: uint8 [28, 28], what Predictor::predict and append_kaggle_row take.
torch::Tensor prepare_drawing(const GreyView& drawing);

// uint8 [28, 28] from prepared pixels (a copy).
torch::Tensor to_tensor(const DigitPixels& digit);

// Centre of mass (row, column) of a 28x28 digit in pixel indices (0..27); (14, 14) when there
// is no ink. What the preparation aims at, for tests.
std::array<double, 2> centre_of_mass(const DigitPixels& digit);

}  // namespace digits
