#include "digits/data/kaggle_csv.h"

#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "data/csv_reader.h"
#include "data/csv_rows.h"
#include "io/atomic_file.h"

namespace digits {

Result<Dataset> load_kaggle_csv(const std::string& path, const CsvOptions& options) {
  return detail::read_kaggle_csv(path, options.limit);
}

Status append_kaggle_row(const std::string& path, const torch::Tensor& image_u8, int64_t label) {
  if (label < 0 || label > 9)
    return Error{path + ": label " + std::to_string(label) + " is not 0..9"};
  const auto image = image_u8.to(torch::kCPU).to(torch::kUInt8).contiguous().reshape({-1});
  if (image.numel() != kPixels) return Error{path + ": image must have 784 pixels"};
  // Only to a plain train-format CSV, and never glued onto a last line without its newline.
  const std::string header = detail::expected_header(CsvFormat::kTrain);
  if (path.size() >= 3 && path.compare(path.size() - 3, 3, ".gz") == 0) {
    return Error{path + ": is compressed; rows can only be added to a plain .csv file"};
  }
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  const bool exists = std::filesystem::exists(status);
  if (exists && !std::filesystem::is_regular_file(status)) {
    return Error{path + ": is not a regular file; rows can only be added to a .csv file"};
  }
  const bool fresh = !exists || std::filesystem::file_size(path, ec) == 0;
  std::string text;
  if (fresh) {
    text = header + "\n";
  } else {
    std::ifstream in(path, std::ios::binary);
    std::string first;
    std::getline(in, first);
    if (!first.empty() && first.back() == '\r') first.pop_back();
    if (first.size() >= 3 && first.compare(0, 3, "\xEF\xBB\xBF") == 0) first.erase(0, 3);
    if (first != header) {
      return Error{path + ":1: is not a Kaggle train-format file (header label,pixel0,...," +
                   "pixel783); nothing was added to it"};
    }
    in.clear();
    in.seekg(-1, std::ios::end);
    char last = '\n';
    if (in.get(last) && last != '\n') text = "\n";  // the file's last row gets its newline
  }
  text += std::to_string(label);
  const uint8_t* px = image.data_ptr<uint8_t>();
  for (int64_t i = 0; i < kPixels; ++i) text += "," + std::to_string(px[i]);
  text += "\n";
  // The row whole or not at all, so the file stays trainable.
  return detail::append_whole(path, text);
}

}  // namespace digits
