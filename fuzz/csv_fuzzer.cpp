// libFuzzer target: digits::load_kaggle_csv on arbitrary bytes. It must return a dataset or a
// one-line error naming the file, never crash, throw, hang or read out of bounds.
//
// The first input byte picks how the rest becomes a file, so that mutations reach the row parser
// without having to rebuild the 5 KB header first:
//   0: the bytes as they are (header mutations, gzip streams from the corpus)
//   1: the train header, a newline, the bytes        2: the same with the test header
//   3: 1, gzip-compressed                            4: 3, cut in the middle (truncated .csv.gz)
// Bit 3 of that byte adds a row limit of 1.
#include <torch/torch.h>
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "digits/data/dataset.h"
#include "digits/data/kaggle_csv.h"
#include "mem_file.h"

namespace {

std::string header(bool labelled) {
  std::string h = labelled ? "label" : "";
  for (int i = 0; i < 784; ++i) h += (h.empty() ? "pixel" : ",pixel") + std::to_string(i);
  return h + "\n";
}

std::string gzip(const std::string& text) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    std::abort();
  }
  std::string out(deflateBound(&z, text.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static digits::fuzz::MemFile file;
  static const std::string train_header = header(true);
  static const std::string test_header = header(false);
  if (size == 0) return 0;
  const unsigned mode = data[0] & 7;
  const bool limit_one = (data[0] & 8) != 0;
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (mode) {
    case 1:
      file.assign(train_header + rest);
      break;
    case 2:
      file.assign(test_header + rest);
      break;
    case 3:
      file.assign(gzip(train_header + rest));
      break;
    case 4: {
      const std::string z = gzip(train_header + rest);
      file.assign(z.substr(0, z.size() / 2));
      break;
    }
    default:
      file.assign(rest);
      break;
  }

  digits::CsvOptions options;
  if (limit_one) options.limit = 1;
  auto result = digits::load_kaggle_csv(file.path(), options);
  if (!result) {
    digits::fuzz::check_message(file.path(), result.error().message);
    return 0;
  }
  // What a caller may rely on for a dataset that loaded.
  const digits::Dataset& d = result.value();
  const bool shape_ok = d.images.dim() == 3 && d.images.size(0) >= 1 && d.images.size(1) == 28 &&
                        d.images.size(2) == 28 && d.images.scalar_type() == torch::kUInt8;
  const bool limit_ok = !limit_one || d.size() == 1;
  bool labels_ok = true;
  if (d.has_labels()) {
    labels_ok = d.labels.size(0) == d.size() && d.labels.min().item<int64_t>() >= 0 &&
                d.labels.max().item<int64_t>() <= 9;
  }
  if (!shape_ok || !limit_ok || !labels_ok) {
    std::fprintf(stderr, "loaded a malformed dataset: shape %s, %lld rows, labels ok %d\n",
                 c10::str(d.images.sizes()).c_str(), static_cast<long long>(d.size()), labels_ok);
    std::abort();
  }
  return 0;
}
