#include "digits/data/training_data.h"

#include <ATen/Parallel.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <numeric>

#include "digits/core/random.h"
#include "digits/ink/compose.h"
#include "digits/ink/ink_file.h"
#include "digits/ink/inkml.h"
#include "digits/ink/unipen.h"

namespace digits {

DataOptions data_options(const TrainConfig& config) {
  DataOptions d;
  d.limit = config.limit;
  d.pen_brushes = config.pen_brushes;
  d.pen_warp = config.pen_warp;
  d.pen_slant = config.pen_slant;
  // Only bent or slanted strokes depend on the seed: runs of other seeds otherwise load the same
  // data.
  d.pen_warp_seed = config.pen_warp > 0 || config.pen_slant > 0 ? config.seed : 0;
  d.not_digit_paths = config.not_digit_paths;
  d.not_digit_pairs = config.not_digit_pairs;
  d.not_digit_seed = config.not_digit_pairs > 0 ? config.seed : 0;
  d.source = config.data_source;
  return d;
}

Status check_data_files(const std::vector<std::string>& paths, const std::string& source) {
  // Read twice: the first bytes tell a file's kind (is_pen_file), then it is read whole; a
  // stream would lose those bytes and be blamed for what follows them.
  const std::string why =
      "a data file is read twice (its first bytes tell its kind, then it is read whole); save "
      "the stream to a file and name that";
  for (const auto& path : paths) {
    const std::string named = source.empty() ? path : path + " (" + source + ")";
    if (path == "-") return Error{"-: standard input is not read as data: " + why};
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return Error{named + ": no such file"};
      return Error{named + ": cannot read: " + std::strerror(errno)};
    }
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) continue;  // a folder: the readers say so
    std::string kind = "something";
    if (S_ISFIFO(st.st_mode)) kind = "a pipe or FIFO";
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) kind = "a device";
    if (S_ISSOCK(st.st_mode)) kind = "a socket";
    return Error{named + ": is " + kind + ", not a regular file: " + why};
  }
  return {};
}

bool is_pen_file(const std::string& path) {
  const std::string head = file_head(path);
  return looks_like_unipen(head) || looks_like_inkml(head);
}

namespace {

// Draws `digits` once per brush: rows digit-major (a digit's drawings side by side).
Dataset draw_pen_digits(const std::vector<PenDigit>& digits, const DataOptions& options,
                        int64_t file, int64_t first_pen) {
  const auto brushes = static_cast<int64_t>(options.pen_brushes.size());
  const auto n = static_cast<int64_t>(digits.size());
  Dataset d;
  d.images = torch::empty({n * brushes, kImageSide, kImageSide}, torch::kUInt8);
  d.labels = torch::empty({n * brushes}, torch::kInt64);
  auto* pixels = d.images.data_ptr<uint8_t>();
  auto* labels = d.labels.data_ptr<int64_t>();
  at::parallel_for(0, n, 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      for (int64_t b = 0; b < brushes; ++b) {
        PenStyle style = options.pen;
        style.brush_radius = static_cast<float>(style.brush_radius * options.pen_brushes[b]);
        const uint64_t bend = mix_seed(options.pen_warp_seed, static_cast<uint64_t>(first_pen + i),
                                       static_cast<uint64_t>(b));
        PenDigit bent = warp_pen_digit(digits[i], options.pen_warp, bend);
        if (options.pen_slant > 0) {
          const double u = SeededDraws(mix_seed(bend, 0x51a47ULL)).uniform();
          bent = slant_pen_digit(bent, (2 * u - 1) * options.pen_slant);
        }
        const DigitPixels drawn = render_pen_digit(bent, style);
        std::copy(drawn.begin(), drawn.end(), pixels + (i * brushes + b) * kPixels);
        labels[i * brushes + b] = digits[i].label;
      }
    }
  });
  std::vector<int64_t> writer, sample, pen;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t b = 0; b < brushes; ++b) {
      writer.push_back(digits[i].writer);
      sample.push_back(digits[i].sample);
      pen.push_back(first_pen + i);
    }
  }
  d.origin = {torch::full({n * brushes}, file, torch::kInt64), torch::tensor(writer),
              torch::tensor(sample), torch::tensor(pen)};
  return d;
}

// The not-digit ink of `options` as pen digits labelled kNotDigit: every sample of its files,
// then its pairs composed from `pen` (the data files' pen digits).
Result<std::vector<PenDigit>> not_digits(const DataOptions& options,
                                         const std::vector<PenDigit>& pen) {
  std::vector<PenDigit> out;
  auto add = [&out](const InkSample& sample) {
    std::vector<size_t> all(sample.strokes.size());
    std::iota(all.begin(), all.end(), size_t{0});
    PenDigit d = pen_digit_of(sample.strokes, all);
    d.label = kNotDigit;
    out.push_back(std::move(d));
  };
  for (const auto& path : options.not_digit_paths) {
    auto ink = load_ink(path);
    if (!ink) return ink.error();
    const size_t before = out.size();
    for (const auto& sample : *ink) {
      if (!sample.strokes.empty()) add(sample);
    }
    if (out.size() == before) return Error{path + ": no ink in it (--not-digits)"};
  }
  if (options.not_digit_pairs > 0) {
    if (pen.empty()) {
      return Error{
          "pairs of digits that are not a digit are composed from pen digits, and the "
          "data files have none (--not-digit-pairs needs a UNIPEN or InkML --data file)"};
    }
    ComposeOptions pairs;
    pairs.min_digits = pairs.max_digits = 2;
    pairs.delayed = 0;
    for (const auto& number : compose_numbers(pen, options.not_digit_pairs, pairs,
                                              mix_seed(options.not_digit_seed, 0x9a125ULL))) {
      add(number);
    }
  }
  return out;
}

RowOrigin csv_origin(int64_t rows, int64_t file) {
  auto none = torch::full({rows}, -1, torch::kInt64);
  return {torch::full({rows}, file, torch::kInt64), none, none.clone(), none.clone()};
}

}  // namespace

Result<Dataset> load_data(const std::vector<std::string>& paths, const DataOptions& options) {
  if (paths.empty()) return Error{"no data file given"};
  if (options.pen_brushes.empty()) return Error{"no pen brush given"};
  DIGITS_RETURN_IF_ERROR(check_data_files(paths, options.source));
  DIGITS_RETURN_IF_ERROR(check_data_files(options.not_digit_paths));
  std::vector<Dataset> parts;
  std::vector<PenDigit> pen;  // the data files' pen digits, when pairs are composed of them
  int64_t digits_read = 0, pen_digits = 0;
  bool any_pen = false;
  for (size_t f = 0; f < paths.size(); ++f) {
    const std::string& path = paths[f];
    if (options.limit >= 0 && digits_read >= options.limit) break;
    const int64_t room = options.limit < 0 ? -1 : options.limit - digits_read;
    Dataset part;
    if (is_pen_file(path)) {
      auto digits = load_ink_digits(path);
      if (!digits) return digits.error();
      if (room >= 0 && static_cast<int64_t>(digits->size()) > room) digits->resize(room);
      part = draw_pen_digits(*digits, options, static_cast<int64_t>(f), pen_digits);
      if (options.not_digit_pairs > 0) pen.insert(pen.end(), digits->begin(), digits->end());
      digits_read += static_cast<int64_t>(digits->size());
      pen_digits += static_cast<int64_t>(digits->size());
      any_pen = true;
    } else {
      auto csv = load_kaggle_csv(path, CsvOptions{room});
      if (!csv) return csv.error();
      part = std::move(csv.value());
      digits_read += part.size();
      part.origin = csv_origin(part.size(), static_cast<int64_t>(f));
    }
    if (!parts.empty() && part.has_labels() != parts.front().has_labels()) {
      return Error{path + ": is " + (part.has_labels() ? "labelled" : "in Kaggle test format") +
                   " but " + paths.front() + " is not; all data files must be alike"};
    }
    parts.push_back(std::move(part));
  }
  if (!options.not_digit_paths.empty() || options.not_digit_pairs > 0) {
    if (!parts.front().has_labels()) {
      return Error{paths.front() + ": " + kNeedsLabels + " (not-digit ink is for training)"};
    }
    auto others = not_digits(options, pen);
    if (!others) return others.error();
    Dataset part =
        draw_pen_digits(*others, options, static_cast<int64_t>(paths.size()), pen_digits);
    part.origin.pen.fill_(-1);  // writer and sample are -1 already: pen_digit_of sets none
    parts.push_back(std::move(part));
    any_pen = true;
  }
  if (parts.size() == 1 && !any_pen) {
    parts[0].origin = {};
    return std::move(parts[0]);
  }
  auto cat = [&](auto member) {
    std::vector<torch::Tensor> t;
    for (const auto& p : parts) t.push_back(member(p));
    return torch::cat(t);
  };
  Dataset joined;
  joined.images = cat([](const Dataset& p) { return p.images; });
  if (parts.front().has_labels()) joined.labels = cat([](const Dataset& p) { return p.labels; });
  joined.origin = {cat([](const Dataset& p) { return p.origin.file; }),
                   cat([](const Dataset& p) { return p.origin.writer; }),
                   cat([](const Dataset& p) { return p.origin.sample; }),
                   cat([](const Dataset& p) { return p.origin.pen; })};
  return joined;
}

Split split_rows(const Dataset& data, double val_fraction, uint64_t seed) {
  if (data.size() > 0 && data.labels.eq(kNotDigit).any().item<bool>()) {
    // The digits split as they would alone; every not-digit row is trained on.
    const auto digit = data.labels.ne(kNotDigit).to(torch::kCPU);
    const auto rows = digit.nonzero().flatten();
    const auto s = split_rows(subset(data, rows), val_fraction, seed);
    auto train = torch::cat({rows.index_select(0, s.train), (~digit).nonzero().flatten()});
    return {std::get<0>(train.sort()), rows.index_select(0, s.val)};
  }
  if (!data.origin.defined() || data.size() == 0 || data.origin.pen.max().item<int64_t>() < 0) {
    return stratified_split(data.labels, val_fraction, seed);
  }
  const auto pen = data.origin.pen.contiguous();
  const auto labels = data.labels.to(torch::kCPU).contiguous();
  const int64_t* p = pen.data_ptr<int64_t>();
  const int64_t* y = labels.data_ptr<int64_t>();
  const int64_t n = data.size();
  // CSV rows: their own split, as if they were loaded alone.
  std::vector<int64_t> csv_rows, digit_label;
  for (int64_t i = 0; i < n; ++i) {
    if (p[i] < 0) {
      csv_rows.push_back(i);
    } else if (p[i] >= static_cast<int64_t>(digit_label.size())) {
      digit_label.resize(p[i] + 1, 0);
      digit_label[p[i]] = y[i];
    }
  }
  std::vector<int64_t> train, val;
  if (!csv_rows.empty()) {
    const auto rows = torch::tensor(csv_rows);
    const auto s = stratified_split(labels.index_select(0, rows), val_fraction, seed);
    for (const auto& [part, out] : {std::pair{s.train, &train}, std::pair{s.val, &val}}) {
      const auto picked = rows.index_select(0, part);
      const int64_t* r = picked.data_ptr<int64_t>();
      out->insert(out->end(), r, r + picked.numel());
    }
  }
  // Pen digits: split whole, then each row follows its digit.
  const auto s =
      stratified_split(torch::tensor(digit_label), val_fraction, mix_seed(seed, 0x9e4ULL));
  std::vector<char> held(digit_label.size(), 0);
  const auto v = s.val.contiguous();
  for (int64_t k = 0; k < v.numel(); ++k) held[v.data_ptr<int64_t>()[k]] = 1;
  for (int64_t i = 0; i < n; ++i) {
    if (p[i] >= 0) (held[p[i]] ? val : train).push_back(i);
  }
  std::sort(train.begin(), train.end());
  std::sort(val.begin(), val.end());
  return {torch::tensor(train, torch::kInt64), torch::tensor(val, torch::kInt64)};
}

}  // namespace digits
