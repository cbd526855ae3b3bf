#include "digits/io/png.h"

#include <png.h>

#include <cstring>
#include <string>
#include <vector>

#include "io/atomic_file.h"

namespace digits {

Status write_png_rgb(const std::string& path, const uint8_t* rgb, int width, int height,
                     int pitch) {
  if (width <= 0 || height <= 0 || pitch < width * 3) {
    return io_error(path + ": cannot write a " + std::to_string(width) + "x" +
                    std::to_string(height) + " image");
  }
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(height);
  image.format = PNG_FORMAT_RGB;
  // libpng's simplified API: first the size the encoding needs, then the encoding.
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&image, nullptr, &size, 0, rgb, pitch, nullptr)) {
    const std::string why = image.message;
    png_image_free(&image);
    return io_error(path + ": cannot encode PNG: " + why);
  }
  std::string bytes(size, '\0');
  if (!png_image_write_to_memory(&image, bytes.data(), &size, 0, rgb, pitch, nullptr)) {
    const std::string why = image.message;
    png_image_free(&image);
    return io_error(path + ": cannot encode PNG: " + why);
  }
  bytes.resize(size);
  return detail::write_file_atomically(path, bytes, "the image");
}

}  // namespace digits
