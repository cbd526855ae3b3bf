// A minimal PNG writer (8-bit RGB, zlib from the system) for screenshots: SDL2 itself only
// writes BMP, and SDL_image is not worth a dependency for one function.
#pragma once

#include <cstdint>
#include <string>

namespace digits::draw {

// Writes `rgb` (height rows of width * 3 bytes, `pitch` bytes apart) to `path`. Returns "" or
// an error message naming the file.
std::string write_png(const std::string& path, const uint8_t* rgb, int width, int height,
                      int pitch);

}  // namespace digits::draw
