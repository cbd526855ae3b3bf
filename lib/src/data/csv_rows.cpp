#include "data/csv_rows.h"

#include <cstring>

#include "digits/core/image.h"

namespace digits::detail {

namespace {

constexpr int64_t kTrainFields = kPixels + 1;

std::string preview(const char* text, size_t max_len = 40) {
  std::string s(text, strnlen(text, max_len + 1));
  if (s.size() > max_len) s = s.substr(0, max_len) + "...";
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return s;
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

// The common case, fast: every field one to three digits, in range, and the row complete.
// False sends the row to `parse_row_checked`, which accepts the same rows and names what is wrong.
inline bool parse_row_fast(const char* p, bool labelled, uint8_t* out, int64_t* label) {
  auto digit = [](char c) { return static_cast<unsigned>(static_cast<unsigned char>(c) - '0'); };
  // One to three digits at p, at most 255; advances p past them.
  auto value = [&](unsigned* v) {
    *v = digit(p[0]);
    if (*v > 9) return false;
    const unsigned d1 = digit(p[1]);
    if (d1 > 9) {
      p += 1;
      return true;
    }
    const unsigned d2 = digit(p[2]);
    if (d2 > 9) {
      *v = *v * 10 + d1;
      p += 2;
      return true;
    }
    *v = *v * 100 + d1 * 10 + d2;
    p += 3;
    return *v <= 255;
  };
  unsigned v = 0;
  if (labelled) {
    if (digit(p[0]) > 9 || p[1] != ',') return false;
    *label = digit(p[0]);
    p += 2;
  }
  uint8_t* const last = out + kPixels - 1;
  while (out < last) {
    if (p[0] == '0' && p[1] == ',') {  // most pixels are blank: "0,"
      *out++ = 0;
      p += 2;
      continue;
    }
    if (!value(&v) || *p != ',') return false;
    ++p;
    *out++ = static_cast<uint8_t>(v);
  }
  if (!value(&v) || *p != '\0') return false;
  *out = static_cast<uint8_t>(v);
  return true;
}

// Parses one row into `out` (784 pixels) and `label`; returns an empty string or the problem,
// with `column` set to the 1-based field it is in.
std::string parse_row_checked(const char* line, bool labelled, uint8_t* out, int64_t* label,
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

// A line that holds NUL (as kNulStandIn) or another control byte is not text: a damaged block,
// or not a CSV file at all. A tab or a lone CR is one too; CRLF's CR is gone before this.
bool holds_binary(const char* line) {
  for (const char* p = line; *p; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c < 0x20 || c == static_cast<unsigned char>(kNulStandIn)) return true;
  }
  return false;
}

}  // namespace

std::string expected_header(CsvFormat format) {
  std::string h = format == CsvFormat::kTrain ? "label," : "";
  for (int64_t i = 0; i < kPixels; ++i) {
    h += "pixel" + std::to_string(i);
    if (i + 1 < kPixels) h += ',';
  }
  return h;
}

std::string parse_header(const char* line, bool* labelled) {
  if (expected_header(CsvFormat::kTrain) == line) {
    *labelled = true;
  } else if (expected_header(CsvFormat::kTest) == line) {
    *labelled = false;
  } else {
    return "header is neither Kaggle train format (label,pixel0,...,pixel783) nor test "
           "format (pixel0,...,pixel783); it starts '" +
           preview(line) + "'";
  }
  return {};
}

std::string parse_row(const char* line, bool labelled, uint8_t* out, int64_t* label) {
  if (parse_row_fast(line, labelled, out, label)) return {};
  if (holds_binary(line)) {
    return "holds NUL or other control bytes, not a CSV row (binary data, or a block of the "
           "file zeroed by a crash)";
  }
  int column = 0;
  std::string problem = parse_row_checked(line, labelled, out, label, &column);
  if (problem.empty()) return {};
  return "column " + std::to_string(column) + ": " + problem;
}

}  // namespace digits::detail
