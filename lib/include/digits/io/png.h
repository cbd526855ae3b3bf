// PNG files through libpng, written atomically: the drawing app's screenshots, digit-predict's
// contact sheet of misread digits.
#pragma once

#include <cstdint>
#include <string>

#include "digits/core/error.h"

namespace digits {

// Writes 8-bit RGB pixels (`height` rows of `width` * 3 bytes, `pitch` bytes apart) to `path`:
// the old file or the new one, never half of one. The Error names the file.
Status write_png_rgb(const std::string& path, const uint8_t* rgb, int width, int height, int pitch);

}  // namespace digits
