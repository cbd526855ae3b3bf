// Writes the seed corpus (fuzz/corpus/csv and fuzz/corpus/checkpoint): a few small valid and
// nearly valid inputs from which the fuzzers mutate. Run once after a format change:
//   cmake --build build/fuzz --target make_seeds && build/fuzz/make_seeds fuzz/corpus
// CSV seeds start with the mode byte csv_fuzzer.cpp describes.
#include <torch/torch.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "digits/checkpoint/checkpoint.h"
#include "digits/nn/model.h"

namespace {

void write(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string header(bool labelled) {
  std::string h = labelled ? "label" : "";
  for (int i = 0; i < 784; ++i) h += (h.empty() ? "pixel" : ",pixel") + std::to_string(i);
  return h + "\n";
}

// A row that looks like a digit: a filled square of varied ink in the middle.
std::string row(int label, const std::string& eol = "\n") {
  std::string r = label >= 0 ? std::to_string(label) : "";
  for (int i = 0; i < 784; ++i) {
    const int y = i / 28, x = i % 28;
    const int v = (y > 8 && y < 20 && x > 10 && x < 18) ? (37 * i) % 256 : 0;
    r += (r.empty() ? "" : ",") + std::to_string(v);
  }
  return r + eol;
}

std::string gzip(const std::string& text) {
  uLongf size = compressBound(text.size()) + 32;
  std::string out(size, '\0');
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_seeds CORPUS_DIR\n";
    return 2;
  }
  namespace fs = std::filesystem;
  const std::string csv = std::string(argv[1]) + "/csv";
  const std::string ckpt = std::string(argv[1]) + "/checkpoint";
  fs::create_directories(csv);
  fs::create_directories(ckpt);

  write(csv + "/train-row", "\x01" + row(7));
  write(csv + "/test-row-crlf", "\x02" + row(-1, "\r\n"));
  write(csv + "/train-rows-limit", "\x09" + row(1) + row(2));
  write(csv + "/gzip-train-row", "\x03" + row(4));
  write(csv + "/gzip-cut", "\x04" + row(5));
  write(csv + "/raw-gzip-file",
        std::string("\x00", 1) + gzip("\xEF\xBB\xBF" + header(true) + row(3)));
  write(csv + "/raw-bad-header", std::string("\x00", 1) + "label,pixel0,pixel1\n1,2,3\n");

  digits::Checkpoint c;
  c.model.width = 1;
  c.net = digits::make_model(c.model).value();
  c.train_options = {{"lr", "0.003"}, {"data.0", "data/train.csv"}};
  if (auto st = digits::save_checkpoint(ckpt + "/bncnn-width1.pt", c); !st) {
    std::cerr << st.error().message << "\n";
    return 1;
  }
  if (auto st = digits::save_ensemble(ckpt + "/ensemble-width1.pt", {c, c}); !st) {
    std::cerr << st.error().message << "\n";
    return 1;
  }
  torch::save(torch::arange(4), ckpt + "/plain-tensor.pt");
  std::cout << "wrote seeds under " << argv[1] << "\n";
  return 0;
}
