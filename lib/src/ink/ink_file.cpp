#include "digits/ink/ink_file.h"

#include <filesystem>
#include <optional>

#include "core/text_codec.h"
#include "digits/ink/inkml.h"
#include "digits/ink/unipen.h"

namespace digits {

Result<std::vector<InkSample>> load_ink(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Error{path + ": no such file", ErrorKind::kBadInput};
  }
  if (std::filesystem::is_directory(path, ec)) {
    return Error{path + ": is a folder, not an ink file", ErrorKind::kBadInput};
  }
  const std::string head = file_head(path);
  if (looks_like_inkml(head)) return load_inkml(path);
  if (looks_like_unipen(head)) return load_unipen_ink(path);
  return Error{path + ": neither InkML (<ink> XML) nor UNIPEN (lines of .KEYWORDs)",
               ErrorKind::kBadInput};
}

namespace {

// "7" -> 7; anything but one digit -> -1.
int64_t one_digit(const std::string& label) {
  return label.size() == 1 && label[0] >= '0' && label[0] <= '9' ? label[0] - '0' : -1;
}

// A whole number of digits only, else -1.
int64_t number_or_none(const std::string& text) {
  const auto v = detail::parse_number<int64_t>(text);
  return v && *v >= 0 ? *v : -1;
}

// The line of "FILE:LINE" (0 when there is none).
int64_t line_of(const std::string& where) {
  const size_t colon = where.rfind(':');
  if (colon == std::string::npos) return 0;
  const int64_t line = number_or_none(where.substr(colon + 1));
  return line < 0 ? 0 : line;
}

PenDigit pen_digit(const InkSample& s, int64_t label, const std::vector<size_t>& strokes) {
  PenDigit d;
  d.label = label;
  d.writer = number_or_none(s.writer);
  d.line = line_of(s.where);
  for (size_t k : strokes) {
    std::vector<PenPoint> stroke;
    stroke.reserve(s.strokes[k].size());
    for (const InkPoint& p : s.strokes[k]) stroke.push_back({p.x, -p.y});  // PenDigit's y is up
    d.strokes.push_back(std::move(stroke));
  }
  return d;
}

}  // namespace

std::vector<PenDigit> labelled_digits(const std::vector<InkSample>& samples) {
  std::vector<PenDigit> digits;
  for (const InkSample& s : samples) {
    if (const int64_t label = one_digit(s.label); label >= 0) {
      std::vector<size_t> all(s.strokes.size());
      for (size_t k = 0; k < all.size(); ++k) all[k] = k;
      digits.push_back(pen_digit(s, label, all));
      continue;
    }
    for (const InkPart& part : s.parts) {
      const int64_t label = one_digit(part.label);
      if (label >= 0 && !part.strokes.empty()) digits.push_back(pen_digit(s, label, part.strokes));
    }
  }
  return digits;
}

Result<std::vector<PenDigit>> load_ink_digits(const std::string& path) {
  // A UNIPEN file of digits (UCI's) is read as digits, keeping its writers' sample numbers; one
  // that load_unipen refuses may be a file of numbers (segments of several digits), read as ink
  // for its digit segments. Where that gives no digit either, load_unipen's error stands.
  std::optional<Error> as_digits;
  if (looks_like_unipen(file_head(path))) {
    auto digits = load_unipen(path);
    if (digits) return digits;
    as_digits = digits.error();
  }
  auto samples = load_ink(path);
  if (!samples) return as_digits ? *as_digits : samples.error();
  std::vector<PenDigit> digits = labelled_digits(*samples);
  if (digits.empty() && as_digits) return *as_digits;
  if (digits.empty()) {
    const size_t n = samples->size();
    return Error{path +
                     ": no ink labelled with a digit (a sample or a segment of one digit, 0-9) "
                     "in its " +
                     std::to_string(n) + (n == 1 ? " sample" : " samples"),
                 ErrorKind::kBadInput};
  }
  return digits;
}

}  // namespace digits
