#include "digits/ink/unipen.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <optional>
#include <string>

#include "core/text_codec.h"
#include "io/gz_read.h"

namespace digits {

namespace {

using detail::parse_number;

constexpr size_t kMaxFileBytes = size_t{1} << 30;  // 1 GiB of text: far beyond any corpus file
constexpr double kMaxCoordinate = 1e9;  // tablets count in thousands; beyond this, a broken file

Error at(const std::string& name, int64_t line, const std::string& what) {
  return Error{name + ":" + std::to_string(line) + ": " + what};
}

// `text` without a UTF-8 byte-order mark at its start (editors on Windows add one).
std::string_view without_bom(std::string_view text) {
  return text.substr(0, 3) == "\xEF\xBB\xBF" ? text.substr(3) : text;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// The next whitespace-separated word of `s`, removed from it ("" at the end).
std::string_view next_word(std::string_view& s) {
  s = trim(s);
  size_t n = 0;
  while (n < s.size() && s[n] != ' ' && s[n] != '\t') ++n;
  const auto word = s.substr(0, n);
  s.remove_prefix(n);
  return word;
}

std::string in_quotes(std::string_view s) {
  constexpr size_t kShown = 40;
  std::string out(s.substr(0, kShown));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  }
  return "'" + out + (s.size() > kShown ? "...'" : "'");
}

struct Component {
  int64_t line = 0;  // its .PEN_DOWN
  std::vector<PenPoint> points;
  bool taken = false;  // by a digit's segment
};

struct Segment {
  int64_t line = 0;
  std::string delineation;
  std::string label;  // digits: one ("7") for parse_unipen, one or more for parse_unipen_ink
  int64_t writer = -1;
  int64_t sample = -1;
};

// Which segments a parse reads: one digit, or a number of one digit or more.
enum class Labels { kDigit, kNumber };

// A file's pen-down components and the segments of the wanted labels, in file order.
struct Scan {
  std::vector<Component> components;
  std::vector<Segment> segments;
};

// "3", "6-7", "2,4-5": the component numbers, each below `count`; an error names the problem.
std::optional<std::string> parse_delineation(std::string_view text, int64_t count,
                                             std::vector<int64_t>& out) {
  if (text.empty()) return std::string("names no strokes");
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const auto item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (item.find(':') != std::string_view::npos) {
      return "delineation " + in_quotes(item) +
             ": point ranges (stroke:point) are not supported, only whole strokes";
    }
    const size_t dash = item.find('-');
    const auto first = parse_number<int64_t>(item.substr(0, dash));
    const auto last =
        dash == std::string_view::npos ? first : parse_number<int64_t>(item.substr(dash + 1));
    if (!first || !last || *first < 0 || *last < *first) {
      return "delineation " + in_quotes(item) +
             " is not a stroke number or a range A-B of them (e.g. 3 or 6-7)";
    }
    if (*last >= count) {
      return "names stroke " + std::to_string(*last) + " but the file has " +
             std::to_string(count) + " stroke" + (count == 1 ? "" : "s") + " (numbered from 0)";
    }
    for (int64_t k = *first; k <= *last; ++k) out.push_back(k);
  }
  return std::nullopt;
}

// Reads the file's instructions; the callers make digits or numbers of the segments.
Result<Scan> scan_unipen(std::string_view text, const std::string& name, Labels labels) {
  text = without_bom(text);  // line 1 stays line 1
  Scan scan;
  std::vector<Component>& components = scan.components;
  std::vector<Segment>& segments = scan.segments;
  bool down = false;          // inside .PEN_DOWN ... .PEN_UP
  bool in_component = false;  // points may follow (pen down or up)
  int64_t writer = -1;
  bool after_segment = false;  // the previous instruction was a wanted .SEGMENT
  int64_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t eol = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
    ++line_no;
    if (line.find('\0') != std::string_view::npos) {
      return at(name, line_no, "holds a NUL byte; this is not a UNIPEN text file");
    }
    line = trim(line);
    if (line.empty()) continue;
    if (line.front() != '.') {
      // A point: "X Y" and perhaps more columns.
      std::string_view rest = line;
      const auto x = parse_number<double>(next_word(rest));
      const auto y = parse_number<double>(next_word(rest));
      if (!x || !y) {
        return at(name, line_no,
                  "point " + in_quotes(line) +
                      " is not two numbers X Y (nor an instruction: " + "those start with '.')");
      }
      if (std::abs(*x) > kMaxCoordinate || std::abs(*y) > kMaxCoordinate) {
        return at(name, line_no, "point " + in_quotes(line) + " is beyond +-1e9 tablet units");
      }
      if (!in_component) {
        return at(name, line_no, "point " + in_quotes(line) + " before any .PEN_DOWN");
      }
      if (down) components.back().points.push_back({*x, *y});
      continue;
    }
    std::string_view args = line;
    const auto keyword = next_word(args);
    args = trim(args);
    const bool was_after_segment = after_segment;
    after_segment = false;
    if (keyword == ".PEN_DOWN") {
      if (down) {
        return at(name, line_no,
                  ".PEN_DOWN inside the stroke that line " +
                      std::to_string(components.back().line) + " began (no .PEN_UP between)");
      }
      components.push_back({line_no, {}, false});
      down = in_component = true;
    } else if (keyword == ".PEN_UP") {
      if (down && components.back().points.empty()) {
        return at(name, line_no,
                  "the stroke that line " + std::to_string(components.back().line) +
                      " began has no points");
      }
      down = false;
      in_component = true;  // pen-up points may follow; they are dropped
    } else if (keyword == ".SEGMENT") {
      std::string_view rest = args;
      const auto level = next_word(rest);
      const auto delineation = next_word(rest);
      rest = trim(rest);
      if (level.empty() || delineation.empty()) {
        return at(name, line_no, ".SEGMENT needs a level and the strokes it names");
      }
      // The label is the last word, quoted or not; a quality may stand before it.
      std::string_view label;
      if (!rest.empty() && rest.back() == '"') {
        const size_t open = rest.rfind('"', rest.size() - 2);
        if (open == std::string_view::npos || rest.size() < 2) {
          return at(name, line_no, ".SEGMENT label " + in_quotes(rest) + " has no opening quote");
        }
        label = rest.substr(open + 1, rest.size() - open - 2);
      } else {
        while (!rest.empty()) label = next_word(rest);
      }
      const bool digits = !label.empty() && std::all_of(label.begin(), label.end(), [](char c) {
        return c >= '0' && c <= '9';
      });
      const bool wanted = digits && (labels == Labels::kNumber || label.size() == 1);
      if (!wanted) {
        // Words, letters and sentences hold no digit of their own to learn from.
        if (level == "DIGIT") {
          return at(name, line_no,
                    "DIGIT segment's label " + in_quotes(label) + " is not one digit 0-9");
        }
        continue;
      }
      segments.push_back({line_no, std::string(delineation), std::string(label), writer, -1});
      after_segment = true;
    } else if (keyword == ".WRITER_ID") {
      const auto id = parse_number<int64_t>(args);
      if (!id || *id < 0) {
        return at(name, line_no, ".WRITER_ID " + in_quotes(args) + " is not a number 0 or more");
      }
      writer = *id;
    } else if (keyword == ".COMMENT" && was_after_segment) {
      // UCI's "label writer sample" right after the segment; other comments are text.
      std::string_view rest = args;
      const auto l = parse_number<int64_t>(next_word(rest));
      const auto w = parse_number<int64_t>(next_word(rest));
      const auto n = parse_number<int64_t>(next_word(rest));
      if (l && w && n && trim(rest).empty()) {
        Segment& s = segments.back();
        if (parse_number<int64_t>(s.label) != l) {
          return at(name, line_no,
                    ".COMMENT gives label " + std::to_string(*l) + " but the segment at line " +
                        std::to_string(s.line) + " says " + s.label);
        }
        s.writer = *w;
        s.sample = *n;
      }
    }
  }
  if (down) {
    return at(name, line_no,
              "the file ends inside the stroke that line " +
                  std::to_string(components.back().line) + " began (no .PEN_UP)");
  }
  if (segments.empty()) {
    return Error{name +
                 (labels == Labels::kDigit
                      ? ": no digit in the file (no .SEGMENT labelled \"0\"..\"9\"); "
                      : ": no number in the file (no .SEGMENT labelled with digits); ") +
                 "is it a UNIPEN file?"};
  }
  return scan;
}

}  // namespace

Result<std::vector<PenDigit>> parse_unipen(std::string_view text, const std::string& name) {
  auto scan = scan_unipen(text, name, Labels::kDigit);
  if (!scan) return scan.error();
  std::vector<Component>& components = scan->components;
  const std::vector<Segment>& segments = scan->segments;
  std::vector<PenDigit> digits;
  digits.reserve(segments.size());
  const auto count = static_cast<int64_t>(components.size());
  for (const Segment& s : segments) {
    std::vector<int64_t> ids;
    if (auto problem = parse_delineation(s.delineation, count, ids)) {
      return at(name, s.line, ".SEGMENT " + *problem);
    }
    PenDigit d;
    d.label = s.label[0] - '0';
    d.writer = s.writer;
    d.sample = s.sample;
    d.line = s.line;
    for (const int64_t k : ids) {
      Component& c = components[static_cast<size_t>(k)];
      if (c.taken) {
        return at(name, s.line,
                  ".SEGMENT names stroke " + std::to_string(k) + " (line " +
                      std::to_string(c.line) + "), which an earlier digit has already");
      }
      c.taken = true;
      d.strokes.push_back(std::move(c.points));
    }
    digits.push_back(std::move(d));
  }
  return digits;
}

Result<std::vector<InkSample>> parse_unipen_ink(std::string_view text, const std::string& name) {
  auto scan = scan_unipen(text, name, Labels::kNumber);
  if (!scan) return scan.error();
  std::vector<Component>& components = scan->components;
  const std::vector<Segment>& segments = scan->segments;
  const auto count = static_cast<int64_t>(components.size());
  std::vector<std::vector<int64_t>> strokes(segments.size());
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& s = segments[i];
    if (auto problem = parse_delineation(s.delineation, count, strokes[i])) {
      return at(name, s.line, ".SEGMENT " + *problem);
    }
    std::vector<int64_t> sorted = strokes[i];
    std::sort(sorted.begin(), sorted.end());
    const auto twice = std::adjacent_find(sorted.begin(), sorted.end());
    if (twice != sorted.end()) {
      return at(name, s.line, ".SEGMENT names stroke " + std::to_string(*twice) + " twice");
    }
  }
  // The segments with the most strokes first: a number owns its strokes, and a segment whose
  // strokes are all one number's (a DIGIT in a WORD "2024") is a part of it.
  std::vector<size_t> order(segments.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return strokes[a].size() > strokes[b].size(); });
  constexpr size_t kFree = static_cast<size_t>(-1);
  std::vector<size_t> owner(components.size(), kFree);  // the segment whose sample has it
  std::vector<size_t> part_of(segments.size(), kFree);  // kFree: a sample of its own
  for (const size_t i : order) {
    const Segment& s = segments[i];
    const auto owner_of = [&](int64_t k) { return owner[static_cast<size_t>(k)]; };
    const size_t first = owner_of(strokes[i].front());
    if (std::any_of(strokes[i].begin(), strokes[i].end(),
                    [&](int64_t k) { return owner_of(k) != first; })) {
      const int64_t shared = first != kFree
                                 ? strokes[i].front()
                                 : *std::find_if(strokes[i].begin(), strokes[i].end(),
                                                 [&](int64_t k) { return owner_of(k) != kFree; });
      return at(name, s.line,
                ".SEGMENT " + in_quotes(s.label) + " shares stroke " + std::to_string(shared) +
                    " (line " + std::to_string(components[static_cast<size_t>(shared)].line) +
                    ") with the number at line " + std::to_string(segments[owner_of(shared)].line) +
                    " but is not a part of it");
    }
    if (first == kFree) {
      for (const int64_t k : strokes[i]) owner[static_cast<size_t>(k)] = i;
    } else {
      part_of[i] = first;
    }
  }
  std::vector<InkSample> samples;
  std::vector<size_t> sample_of(segments.size(), kFree);
  std::vector<size_t> place(components.size(), 0);  // a stroke's index in its sample
  for (size_t i = 0; i < segments.size(); ++i) {
    if (part_of[i] != kFree) continue;
    const Segment& s = segments[i];
    InkSample sample;
    sample.label = s.label;
    sample.writer = s.writer >= 0 ? std::to_string(s.writer) : "";
    sample.where = name + ":" + std::to_string(s.line);
    for (const int64_t k : strokes[i]) {
      Component& c = components[static_cast<size_t>(k)];
      place[static_cast<size_t>(k)] = sample.strokes.size();
      InkStroke stroke;
      stroke.reserve(c.points.size());
      for (const PenPoint& p : c.points) stroke.push_back({p.x, -p.y});  // UNIPEN's y is up
      sample.strokes.push_back(std::move(stroke));
    }
    sample_of[i] = samples.size();
    samples.push_back(std::move(sample));
  }
  for (size_t i = 0; i < segments.size(); ++i) {
    if (part_of[i] == kFree) continue;
    InkPart part;
    part.label = segments[i].label;
    for (const int64_t k : strokes[i]) part.strokes.push_back(place[static_cast<size_t>(k)]);
    std::sort(part.strokes.begin(), part.strokes.end());
    samples[sample_of[part_of[i]]].parts.push_back(std::move(part));
  }
  return samples;
}

namespace {

// The whole file, decompressed when it is gzip.
Result<std::string> read_text(const std::string& path) {
  return detail::read_text_file(path, kMaxFileBytes,
                                "is over 1 GiB of text; not a UNIPEN file of digits");
}

}  // namespace

Result<std::vector<PenDigit>> load_unipen(const std::string& path) {
  auto text = read_text(path);
  if (!text) return text.error();
  return parse_unipen(*text, path);
}

Result<std::vector<InkSample>> load_unipen_ink(const std::string& path) {
  auto text = read_text(path);
  if (!text) return text.error();
  return parse_unipen_ink(*text, path);
}

bool looks_like_unipen(std::string_view text) {
  text = without_bom(text);
  const size_t at = text.find_first_not_of(" \t\r\n");
  return at != std::string_view::npos && text[at] == '.';
}

std::string file_head(const std::string& path, size_t n) {
  gzFile gz = gzopen(path.c_str(), "rb");
  if (gz == nullptr) return {};
  std::string head(n, '\0');
  const int got = gzread(gz, head.data(), static_cast<unsigned>(n));
  gzclose(gz);
  head.resize(got > 0 ? static_cast<size_t>(got) : 0);
  return head;
}

}  // namespace digits
