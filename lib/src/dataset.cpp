#include "digits/dataset.h"

// fast-cpp-csv-parser copies file names with strncpy, which GCC flags; the copy is bounded.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-truncation"
#include <libfccp/csv.h>
#pragma GCC diagnostic pop
#include <torch/torch.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "digits/random.h"

namespace digits {

namespace {

// Feeds fast-cpp-csv-parser's LineReader from zlib, which reads gzip and plain files alike.
class GzByteSource : public io::ByteSourceBase {
 public:
  GzByteSource(gzFile file, std::string path) : file_(file), path_(std::move(path)) {}
  ~GzByteSource() override { gzclose(file_); }
  int read(char* buffer, int size) override {
    const int n = gzread(file_, buffer, static_cast<unsigned>(size));
    if (n < 0) {
      int code = 0;
      const char* what = gzerror(file_, &code);
      throw std::runtime_error(std::string("read failed: ") + what);
    }
    if (n == 0 && !gzeof(file_)) throw std::runtime_error("read failed");
    int code = 0;
    const char* what = gzerror(file_, &code);
    if (code != Z_OK && code != Z_STREAM_END && code != Z_BUF_ERROR) {
      throw std::runtime_error(std::string("corrupt compressed data: ") + what);
    }
    // zlib reports a gzip stream cut short only as Z_BUF_ERROR at its end.
    if (n < size && code == Z_BUF_ERROR) {
      throw std::runtime_error("compressed file is truncated (unexpected end of gzip stream)");
    }
    return n;
  }

 private:
  gzFile file_;
  std::string path_;
};

constexpr int64_t kTrainFields = kPixels + 1;

std::string expected_header(CsvFormat format) {
  std::string h = format == CsvFormat::kTrain ? "label," : "";
  for (int64_t i = 0; i < kPixels; ++i) {
    h += "pixel" + std::to_string(i);
    if (i + 1 < kPixels) h += ',';
  }
  return h;
}

std::string preview(const char* text, size_t max_len = 40) {
  std::string s(text, strnlen(text, max_len + 1));
  if (s.size() > max_len) s = s.substr(0, max_len) + "...";
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return s;
}

Error at(const std::string& path, unsigned line, const std::string& what) {
  return Error{path + ":" + std::to_string(line) + ": " + what};
}

std::string field_text(const char* p) {
  const char* end = p;
  while (*end != ',' && *end != '\0') ++end;
  return preview(std::string(p, end).c_str(), 20);
}

std::string field_count_problem(const char* line, int64_t expected) {
  int64_t n = 1;
  for (const char* p = line; *p; ++p) n += (*p == ',');
  return std::to_string(n) + " fields, expected " + std::to_string(expected);
}

// Parses one row into `out` (784 pixels) and `label`; returns an empty string or the problem,
// with `column` set to the 1-based field it is in.
std::string parse_row(const char* line, bool labelled, uint8_t* out, int64_t* label,
                      int* column) {
  const int64_t fields = labelled ? kTrainFields : kPixels;
  const char* p = line;
  for (int64_t f = 0; f < fields; ++f) {
    *column = static_cast<int>(f + 1);
    if (f > 0) {
      if (*p != ',') return field_count_problem(line, fields);
      ++p;
    }
    const char* start = p;
    unsigned value = 0;
    while (*p >= '0' && *p <= '9' && p - start < 4) value = value * 10 + (*p++ - '0');
    const bool is_label = labelled && f == 0;
    if (p == start || (*p != ',' && *p != '\0')) {
      const std::string name = is_label ? "label" : "pixel" + std::to_string(f - labelled);
      return name + " is '" + field_text(start) + "', expected an integer " +
             (is_label ? "0..9" : "0..255");
    }
    if (is_label) {
      if (value > 9) return "label is " + field_text(start) + ", expected 0..9";
      *label = value;
    } else {
      if (value > 255) {
        return "pixel" + std::to_string(f - labelled) + " is " + field_text(start) +
               ", expected 0..255";
      }
      *out++ = static_cast<uint8_t>(value);
    }
  }
  if (*p != '\0') {
    *column = static_cast<int>(fields + 1);
    return field_count_problem(line, fields);
  }
  return {};
}

Result<Dataset> load_one(const std::string& path, int64_t limit) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) return Error{path + ": no such file"};
  if (fs::is_directory(status)) return Error{path + ": is a directory, expected a CSV file"};

  gzFile gz = gzopen(path.c_str(), "rb");
  if (gz == nullptr) return Error{path + ": cannot open: " + std::strerror(errno)};
  gzbuffer(gz, 1 << 20);

  std::vector<uint8_t> pixels;
  std::vector<int64_t> labels;
  bool labelled = false;
  unsigned line_no = 0;
  try {
    io::LineReader reader(path, std::make_unique<GzByteSource>(gz, path));
    const char* header = reader.next_line();
    line_no = 1;
    while (header != nullptr && *header == '\0') header = reader.next_line(), ++line_no;
    if (header == nullptr) {
      return Error{path + ": empty file, expected a Kaggle CSV header (label,pixel0,...)"};
    }
    if (expected_header(CsvFormat::kTrain) == header) {
      labelled = true;
    } else if (expected_header(CsvFormat::kTest) != header) {
      return at(path, line_no,
                "header is neither Kaggle train format (label,pixel0,...,pixel783) nor test "
                "format (pixel0,...,pixel783); it starts '" +
                    preview(header) + "'");
    }
    const auto fmt_size = fs::file_size(path, ec);
    if (!ec && path.size() > 3 && path.substr(path.size() - 3) != ".gz") {
      pixels.reserve(static_cast<size_t>(std::min<uintmax_t>(fmt_size / 2, 256u << 20)));
    }
    uint8_t row[kPixels];
    while (limit < 0 || static_cast<int64_t>(labels.size()) < limit) {
      const char* line = reader.next_line();
      if (line == nullptr) break;
      line_no = reader.get_file_line();
      if (*line == '\0') continue;  // blank lines, e.g. a trailing one
      int64_t label = -1;
      int column = 0;
      std::string problem = parse_row(line, labelled, row, &label, &column);
      if (!problem.empty()) {
        return at(path, line_no, "column " + std::to_string(column) + ": " + problem);
      }
      pixels.insert(pixels.end(), row, row + kPixels);
      labels.push_back(label);
    }
  } catch (const io::error::line_length_limit_exceeded&) {
    return at(path, line_no + 1, "line longer than 16 MB; this is not a Kaggle CSV file");
  } catch (const std::exception& e) {
    return Error{path + ": " + e.what()};
  }
  if (labels.empty()) return Error{path + ": no rows after the header"};

  const auto n = static_cast<int64_t>(labels.size());
  Dataset data;
  auto* storage = new std::vector<uint8_t>(std::move(pixels));
  data.images = torch::from_blob(
      storage->data(), {n, kImageSide, kImageSide},
      [storage](void*) { delete storage; }, torch::kUInt8);
  if (labelled) data.labels = torch::tensor(labels, torch::kInt64);
  return data;
}

}  // namespace

Result<Dataset> load_kaggle_csv(const std::string& path, const CsvOptions& options) {
  return load_one(path, options.limit);
}

Result<Dataset> load_kaggle_csvs(const std::vector<std::string>& paths,
                                 const CsvOptions& options) {
  if (paths.empty()) return Error{"no data file given"};
  std::vector<torch::Tensor> images, labels;
  int64_t rows = 0;
  for (const auto& path : paths) {
    if (options.limit >= 0 && rows >= options.limit) break;
    auto part = load_one(path, options.limit < 0 ? -1 : options.limit - rows);
    if (!part) return part.error();
    if (!images.empty() && part->has_labels() != labels.front().defined()) {
      return Error{path + ": is in Kaggle " + (part->has_labels() ? "train" : "test") +
                   " format but " + paths.front() + " is not; all data files must be alike"};
    }
    rows += part->size();
    images.push_back(part->images);
    labels.push_back(part->labels);
  }
  if (images.size() == 1) return Dataset{images[0], labels[0]};
  Dataset joined{torch::cat(images), {}};
  if (labels[0].defined()) joined.labels = torch::cat(labels);
  return joined;
}

Status append_kaggle_row(const std::string& path, const torch::Tensor& image_u8, int64_t label) {
  if (label < 0 || label > 9) return Error{path + ": label " + std::to_string(label) + " is not 0..9"};
  const auto image = image_u8.to(torch::kCPU).to(torch::kUInt8).contiguous().reshape({-1});
  if (image.numel() != kPixels) return Error{path + ": image must have 784 pixels"};
  std::error_code ec;
  const bool fresh = !std::filesystem::exists(path, ec) || std::filesystem::file_size(path, ec) == 0;
  std::string text;
  if (fresh) text = expected_header(CsvFormat::kTrain) + "\n";
  text += std::to_string(label);
  const uint8_t* px = image.data_ptr<uint8_t>();
  for (int64_t i = 0; i < kPixels; ++i) text += "," + std::to_string(px[i]);
  text += "\n";
  std::FILE* f = std::fopen(path.c_str(), "ab");
  if (f == nullptr) return Error{path + ": cannot open for appending: " + std::strerror(errno)};
  const bool wrote = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const bool closed = std::fclose(f) == 0;
  if (!wrote || !closed) return Error{path + ": write failed: " + std::strerror(errno)};
  return {};
}

uint64_t fingerprint(const Dataset& data) {
  uint64_t h = 0xcbf29ce484222325ULL;
  auto feed = [&h](const torch::Tensor& t) {
    const auto c = t.contiguous();
    const auto* bytes = static_cast<const uint8_t*>(c.data_ptr());
    const size_t n = c.numel() * c.element_size();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      uint64_t w;
      std::memcpy(&w, bytes + i, 8);
      h = (h ^ w) * 0x100000001b3ULL;
      h ^= h >> 29;
    }
    for (; i < n; ++i) h = (h ^ bytes[i]) * 0x100000001b3ULL;
  };
  feed(data.images);
  if (data.has_labels()) feed(data.labels);
  return mix_seed(h, static_cast<uint64_t>(data.size()));
}

Split stratified_split(const torch::Tensor& labels, double val_fraction, uint64_t seed) {
  const auto lab = labels.to(torch::kCPU).to(torch::kInt64).contiguous();
  const int64_t* y = lab.data_ptr<int64_t>();
  std::vector<std::vector<int64_t>> by_class(kClasses);
  for (int64_t i = 0; i < lab.numel(); ++i) by_class[static_cast<size_t>(y[i])].push_back(i);
  std::vector<int64_t> train, val;
  for (int64_t c = 0; c < kClasses; ++c) {
    const auto& rows = by_class[c];
    const auto n = static_cast<int64_t>(rows.size());
    const auto order = seeded_permutation(n, mix_seed(seed, 0x5b1175ULL, c));
    const auto n_val = static_cast<int64_t>(std::llround(val_fraction * n));
    for (int64_t k = 0; k < n; ++k) (k < n_val ? val : train).push_back(rows[order[k]]);
  }
  std::sort(train.begin(), train.end());
  std::sort(val.begin(), val.end());
  return {torch::tensor(train, torch::kInt64), torch::tensor(val, torch::kInt64)};
}

Dataset subset(const Dataset& data, const torch::Tensor& index) {
  Dataset out;
  out.images = data.images.index_select(0, index);
  if (data.has_labels()) out.labels = data.labels.index_select(0, index);
  return out;
}

}  // namespace digits
