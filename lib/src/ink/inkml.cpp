#include "digits/ink/inkml.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <pugixml.hpp>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "io/gz_read.h"

namespace digits {

namespace {

constexpr size_t kMaxFileBytes = size_t{32} << 20;  // handwriting in InkML: kilobytes, a few MB
constexpr size_t kMaxPoints = 1'000'000;            // read from a file, and given in its samples
constexpr size_t kMaxNodes = 1'000'000;             // traces, traceGroups and traceViews in a file
constexpr size_t kMaxVisits = 10'000'000;  // steps through groups and views for all samples
constexpr int kMaxDepth = 256;             // nested groups, views and definitions
constexpr double kMaxCoordinate = 1e9;     // pens count in thousands; beyond this, a broken file
constexpr size_t kNone = std::numeric_limits<size_t>::max();

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// At most 40 characters of `s`, control characters shown as '?', for a one-line message.
std::string plain(std::string_view s) {
  constexpr size_t kShown = 40;
  std::string out(s.substr(0, kShown));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  }
  return s.size() > kShown ? out + "..." : out;
}

std::string in_quotes(std::string_view s) { return "'" + plain(s) + "'"; }

// An element's or attribute's name without its namespace prefix ("inkml:trace" -> "trace").
std::string_view local_name(const char* name) {
  const std::string_view s(name);
  const size_t colon = s.rfind(':');
  return colon == std::string_view::npos ? s : s.substr(colon + 1);
}

bool is(const pugi::xml_node& node, std::string_view local) {
  return node.type() == pugi::node_element && local_name(node.name()) == local;
}

// An attribute matched on its local name, so that xml:id is "id"; "" when absent.
std::string_view attribute(const pugi::xml_node& node, std::string_view local) {
  for (const pugi::xml_attribute& a : node.attributes()) {
    if (local_name(a.name()) == local) return a.value();
  }
  return {};
}

// "#t1" and "t1" both name the element with id t1.
std::string_view reference(std::string_view ref) {
  ref = trim(ref);
  if (!ref.empty() && ref.front() == '#') ref.remove_prefix(1);
  return ref;
}

// The character data of an element (its text and CDATA, comments left out).
std::string text_of(const pugi::xml_node& node) {
  std::string text;
  for (const pugi::xml_node& c : node.children()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) text += c.value();
  }
  return text;
}

// The trimmed text of the element's first <annotation type="TYPE"> child; "" when none.
std::string annotation(const pugi::xml_node& node, std::string_view type) {
  for (const pugi::xml_node& c : node.children()) {
    if (is(c, "annotation") && attribute(c, "type") == type) return std::string(trim(text_of(c)));
  }
  return {};
}

// Line numbers of byte offsets into the text that pugixml parsed (in place, so its offsets are
// the text's).
class Lines {
 public:
  explicit Lines(std::string_view text) {
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') breaks_.push_back(i);
    }
  }
  int64_t at(ptrdiff_t offset) const {
    if (offset < 0) return 1;
    const auto before =
        std::lower_bound(breaks_.begin(), breaks_.end(), static_cast<size_t>(offset));
    return 1 + (before - breaks_.begin());
  }

 private:
  std::vector<size_t> breaks_;
};

// A trace's channels: X and Y are kept, the others read and dropped.
struct Format {
  size_t regular = 2;       // values every point has
  size_t intermittent = 0;  // values a point may add after them
  size_t x = 0;             // X's place among the values
  size_t y = 1;
  std::string names = "X Y";  // of the regular channels, for messages
  std::string intermittent_names;
};

// "2 channels (X Y)", "3 channels (X Y T) and 1 intermittent (S)".
std::string channels_text(const Format& f) {
  std::string text =
      std::to_string(f.regular) + " channel" + (f.regular == 1 ? "" : "s") + " (" + f.names + ")";
  if (f.intermittent > 0) {
    text +=
        " and " + std::to_string(f.intermittent) + " intermittent (" + f.intermittent_names + ")";
  }
  return text;
}

struct Trace {
  int64_t line = 0;
  std::string id;
  bool ink = true;  // false for type="penUp": the pen moving in the air
  std::vector<InkPoint> points;
};

// A trace, traceGroup or traceView, in document order (preorder): the elements inside node i are
// the nodes i+1 .. end-1, and its children start at i+1, each next one at the end of the last.
struct Node {
  enum Kind : uint8_t { kInk, kTrace, kGroup, kView };
  Kind kind = kInk;
  int64_t line = 0;
  size_t end = 0;
  size_t trace = kNone;   // kTrace: its index in traces
  size_t target = kNone;  // kView: the node its traceDataRef names
  std::string id;
  std::string ref;    // kView: traceDataRef as written
  std::string truth;  // kGroup and kInk: the label
  std::string writer;
};

// The character data of a trace and where each piece of it starts, to name a point's line.
struct TraceText {
  std::string text;
  std::vector<std::pair<size_t, ptrdiff_t>> pieces;  // (start in text, offset in the document)
};

class Reader {
 public:
  Reader(std::string_view text, const std::string& name) : name_(name), lines_(text) {}

  Result<std::vector<InkSample>> read(const pugi::xml_node& ink);

 private:
  Error at(int64_t line, const std::string& what) const {
    return Error{name_ + ":" + std::to_string(line) + ": " + what};
  }
  int64_t line(const pugi::xml_node& node) const { return lines_.at(node.offset_debug()); }

  // The definitions: traceFormats, inkSources and contexts, by id and by element.
  Status read_definitions(const pugi::xml_node& parent, int depth);
  Result<Format> read_format(const pugi::xml_node& element) const;
  Result<std::optional<Format>> find(
      const std::unordered_map<std::string, std::optional<Format>>& in, const pugi::xml_node& from,
      std::string_view attribute_name, const char* what, bool in_definitions = false) const;
  void define(std::unordered_map<std::string, std::optional<Format>>& in,
              const pugi::xml_node& element, std::optional<Format> format);
  // The format of a trace or group: its contextRef's or traceFormatRef's, else `inherited`.
  Result<Format> format_of(const pugi::xml_node& element, const Format& inherited) const;

  // The traces, groups and views inside `parent`, appended to nodes_ in document order.
  Status read_content(const pugi::xml_node& parent, const Format& format, int depth);
  Result<size_t> add_node(Node::Kind kind, const pugi::xml_node& element);
  Status read_trace(const pugi::xml_node& element, const Format& format);
  Status decode(const TraceText& text, const Format& format, Trace& trace) const;

  Status resolve_views();
  // The ink traces that node `from` holds or views, ascending.
  Result<std::vector<size_t>> collect(size_t from);
  Status add_sample(size_t from, const std::vector<size_t>& parts, std::vector<InkSample>& samples);
  std::string describe(size_t node) const;

  const std::string& name_;
  Lines lines_;
  pugi::xml_node ink_;
  std::unordered_map<std::string, std::optional<Format>> formats_, sources_, contexts_;
  std::unordered_map<const void*, std::optional<Format>> by_element_;
  std::vector<Trace> traces_;
  std::vector<Node> nodes_;
  std::unordered_map<std::string, size_t> ids_;
  size_t points_ = 0;  // read
  size_t given_ = 0;   // put in samples
  std::vector<uint32_t> mark_;
  uint32_t stamp_ = 0;
  size_t visits_ = 0;
};

Result<Format> Reader::read_format(const pugi::xml_node& element) const {
  Format f;
  f.regular = 0;
  f.names.clear();
  std::optional<size_t> x, y;
  auto add = [&](const pugi::xml_node& channel, bool intermittent) -> Status {
    const std::string_view name = attribute(channel, "name");
    if (name.empty()) return at(line(channel), "<channel> has no name");
    if ((name == "X" && x) || (name == "Y" && y)) {
      return at(line(channel), "traceFormat has two channels named " + std::string(name));
    }
    if (intermittent) {
      if (name == "X" || name == "Y") {
        return at(line(channel), "channel " + std::string(name) +
                                     " is intermittent; X and Y must be in every point");
      }
      ++f.intermittent;
    } else {
      if (name == "X") x = f.regular;
      if (name == "Y") y = f.regular;
      ++f.regular;
    }
    std::string& names = intermittent ? f.intermittent_names : f.names;
    if (names.size() < 60) {
      names += (names.empty() ? "" : " ") + plain(name);
    } else if (names.compare(names.size() - 3, 3, "...") != 0) {
      names += " ...";
    }
    return {};
  };
  for (const pugi::xml_node& c : element.children()) {
    if (is(c, "channel")) {
      DIGITS_RETURN_IF_ERROR(add(c, false));
    } else if (is(c, "regularChannels") || is(c, "intermittentChannels")) {
      for (const pugi::xml_node& channel : c.children()) {
        if (is(channel, "channel")) {
          DIGITS_RETURN_IF_ERROR(add(channel, is(c, "intermittentChannels")));
        }
      }
    }
  }
  if (!x || !y) {
    return at(line(element), "traceFormat has no X and Y channels (it has: " +
                                 (f.names.empty() ? std::string("none") : f.names) + ")");
  }
  f.x = *x;
  f.y = *y;
  return f;
}

Result<std::optional<Format>> Reader::find(
    const std::unordered_map<std::string, std::optional<Format>>& in, const pugi::xml_node& from,
    std::string_view attribute_name, const char* what, bool in_definitions) const {
  const std::string_view written = attribute(from, attribute_name);
  const auto found = in.find(std::string(reference(written)));
  if (found == in.end()) {
    return at(line(from), std::string(attribute_name) + " " + in_quotes(written) + " names no <" +
                              what + "> of this document" +
                              (in_definitions ? " defined before it" : ""));
  }
  return found->second;
}

void Reader::define(std::unordered_map<std::string, std::optional<Format>>& in,
                    const pugi::xml_node& element, std::optional<Format> format) {
  by_element_[element.internal_object()] = format;
  const std::string_view id = attribute(element, "id");
  if (!id.empty()) in[std::string(id)] = std::move(format);
}

Status Reader::read_definitions(const pugi::xml_node& parent, int depth) {
  if (depth > kMaxDepth) {
    return at(line(parent), "elements nested over " + std::to_string(kMaxDepth) + " deep");
  }
  for (const pugi::xml_node& c : parent.children()) {
    if (is(c, "traceFormat")) {
      auto f = read_format(c);
      if (!f) return f.error();
      define(formats_, c, std::move(f).value());
    } else if (is(c, "definitions")) {
      DIGITS_RETURN_IF_ERROR(read_definitions(c, depth + 1));
    } else if (is(c, "inkSource") || is(c, "context")) {
      DIGITS_RETURN_IF_ERROR(read_definitions(c, depth + 1));
      // Its format: a traceFormatRef, else its own traceFormat or inkSource's, else its
      // inkSourceRef's or contextRef's (references must name something either way).
      const bool source = is(c, "inkSource");
      std::optional<Format> own;
      for (const pugi::xml_node& inner : c.children()) {
        const auto found = by_element_.find(inner.internal_object());
        if (!own && found != by_element_.end() &&
            (is(inner, "traceFormat") || is(inner, "inkSource"))) {
          own = found->second;
        }
      }
      std::optional<Format> format;
      if (!attribute(c, "traceFormatRef").empty()) {
        auto found = find(formats_, c, "traceFormatRef", "traceFormat", true);
        if (!found) return found.error();
        format = *found;
      }
      if (!format) format = own;
      if (!source && !attribute(c, "inkSourceRef").empty()) {
        auto found = find(sources_, c, "inkSourceRef", "inkSource", true);
        if (!found) return found.error();
        if (!format) format = *found;
      }
      if (!source && !attribute(c, "contextRef").empty()) {
        auto found = find(contexts_, c, "contextRef", "context", true);
        if (!found) return found.error();
        if (!format) format = *found;
      }
      define(source ? sources_ : contexts_, c, std::move(format));
    }
  }
  return {};
}

Result<Format> Reader::format_of(const pugi::xml_node& element, const Format& inherited) const {
  if (!attribute(element, "contextRef").empty()) {
    auto found = find(contexts_, element, "contextRef", "context");
    if (!found) return found.error();
    return found->value_or(Format{});  // a context that gives no format has the default one
  }
  if (!attribute(element, "traceFormatRef").empty()) {
    auto found = find(formats_, element, "traceFormatRef", "traceFormat");
    if (!found) return found.error();
    return **found;
  }
  return inherited;
}

Result<size_t> Reader::add_node(Node::Kind kind, const pugi::xml_node& element) {
  if (nodes_.size() >= kMaxNodes) {
    return at(line(element), "over " + std::to_string(kMaxNodes) +
                                 " traces, traceGroups and traceViews in one file");
  }
  Node node;
  node.kind = kind;
  node.line = line(element);
  node.id = std::string(attribute(element, "id"));
  const size_t index = nodes_.size();
  if (!node.id.empty()) {
    const auto [it, added] = ids_.emplace(node.id, index);
    if (!added) {
      return at(node.line, "id " + in_quotes(node.id) + " is given twice: also to " +
                               describe(it->second) + " at line " +
                               std::to_string(nodes_[it->second].line));
    }
  }
  node.end = index + 1;
  nodes_.push_back(std::move(node));
  return index;
}

std::string Reader::describe(size_t index) const {
  const Node& n = nodes_[index];
  const char* kinds[] = {"the document", "trace", "traceGroup", "traceView"};
  if (n.kind == Node::kInk) return kinds[0];
  return kinds[n.kind] + (n.id.empty() ? std::string() : " " + in_quotes(n.id));
}

Status Reader::read_content(const pugi::xml_node& parent, const Format& inherited, int depth) {
  if (depth > kMaxDepth) {
    return at(line(parent), "elements nested over " + std::to_string(kMaxDepth) + " deep");
  }
  const bool top = parent == ink_;
  Format current = inherited;  // changed by a <traceFormat> or <context> directly in <ink>
  for (const pugi::xml_node& c : parent.children()) {
    if (c.type() != pugi::node_element) continue;
    if (is(c, "trace")) {
      DIGITS_RETURN_IF_ERROR(read_trace(c, current));
    } else if (is(c, "traceGroup") || is(c, "traceView")) {
      const bool group = is(c, "traceGroup");
      auto index = add_node(group ? Node::kGroup : Node::kView, c);
      if (!index) return index.error();
      auto format = format_of(c, current);
      if (!format) return format.error();
      if (group) {
        nodes_[*index].truth = annotation(c, "truth");
        nodes_[*index].writer = annotation(c, "writer");
      } else {
        nodes_[*index].ref = std::string(attribute(c, "traceDataRef"));
      }
      DIGITS_RETURN_IF_ERROR(read_content(c, *format, depth + 1));
      nodes_[*index].end = nodes_.size();
    } else if (is(c, "definitions")) {
      DIGITS_RETURN_IF_ERROR(read_content(c, current, depth + 1));
    } else if (top && (is(c, "traceFormat") || is(c, "context"))) {
      const auto found = by_element_.find(c.internal_object());
      if (found != by_element_.end() && found->second) current = *found->second;
    }
  }
  return {};
}

Status Reader::read_trace(const pugi::xml_node& element, const Format& inherited) {
  auto format = format_of(element, inherited);
  if (!format) return format.error();
  auto index = add_node(Node::kTrace, element);
  if (!index) return index.error();
  Trace trace;
  trace.line = nodes_[*index].line;
  trace.id = nodes_[*index].id;
  trace.ink = attribute(element, "type") != "penUp";
  TraceText text;
  for (const pugi::xml_node& c : element.children()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) {
      text.pieces.emplace_back(text.text.size(), c.offset_debug());
      text.text += c.value();
    }
  }
  DIGITS_RETURN_IF_ERROR(decode(text, *format, trace));
  points_ += trace.points.size();
  nodes_[*index].trace = traces_.size();
  traces_.push_back(std::move(trace));
  return {};
}

// A number at s[i], advancing i past it: "-"? (digits ("." digits?)? | "." digits) exponent?,
// or "-"? "#" hex digits. nullopt (i unchanged) when there is none or it is not finite.
std::optional<double> number_at(const std::string& s, size_t& i) {
  size_t j = i;
  bool negative = false;
  if (j < s.size() && (s[j] == '-' || s[j] == '+')) {
    negative = s[j] == '-';
    ++j;
    while (j < s.size() && is_space(s[j])) ++j;
  }
  double v = 0;
  if (j < s.size() && s[j] == '#') {
    const size_t start = ++j;
    while (j < s.size() && std::isxdigit(static_cast<unsigned char>(s[j]))) ++j;
    uint64_t hex = 0;
    const auto r = std::from_chars(s.data() + start, s.data() + j, hex, 16);
    if (j == start || r.ec != std::errc()) return std::nullopt;
    v = static_cast<double>(hex);
  } else {
    const size_t start = j;
    size_t digits = 0;
    for (; j < s.size() && is_digit(s[j]); ++j) ++digits;
    if (j < s.size() && s[j] == '.') {
      for (++j; j < s.size() && is_digit(s[j]); ++j) ++digits;
    }
    if (digits == 0) return std::nullopt;
    if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
      size_t k = j + 1;
      if (k < s.size() && (s[k] == '+' || s[k] == '-')) ++k;
      if (k < s.size() && is_digit(s[k])) {
        for (j = k; j < s.size() && is_digit(s[j]);) ++j;
      }
    }
    const auto r = std::from_chars(s.data() + start, s.data() + j, v);
    if (r.ec != std::errc() || r.ptr != s.data() + j || !std::isfinite(v)) return std::nullopt;
  }
  i = j;
  return negative ? -v : v;
}

Status Reader::decode(const TraceText& text, const Format& format, Trace& trace) const {
  const std::string& s = text.text;
  const std::string what = trace.id.empty() ? "trace" : "trace " + in_quotes(trace.id);
  // The line of s[i]: its piece's line plus the line breaks before it in the piece.
  auto line_at = [&](size_t i) {
    auto piece = std::upper_bound(text.pieces.begin(), text.pieces.end(),
                                  std::make_pair(i, std::numeric_limits<ptrdiff_t>::max()));
    if (piece == text.pieces.begin()) return trace.line;
    --piece;
    const int64_t base = piece->second < 0 ? trace.line : lines_.at(piece->second);
    return base + std::count(s.begin() + static_cast<ptrdiff_t>(piece->first),
                             s.begin() + static_cast<ptrdiff_t>(i), '\n');
  };
  const size_t channels = format.regular + format.intermittent;
  std::vector<char> modes(channels, '!');  // each channel's prefix holds until another
  InkPoint last, velocity;                 // of X and Y, for the differences
  size_t i = 0;
  while (i < s.size() && is_space(s[i])) ++i;
  if (i == s.size()) return at(trace.line, what + " has no points");
  for (size_t point = 1;; ++point) {
    while (i < s.size() && is_space(s[i])) ++i;
    const size_t start = i;
    auto problem = [&](const std::string& wrong) {
      return at(line_at(start), what + " point " + std::to_string(point) + wrong);
    };
    InkPoint p;
    size_t count = 0;
    for (;;) {
      while (i < s.size() && is_space(s[i])) ++i;
      if (i == s.size() || s[i] == ',') break;
      const size_t value_at = i;
      std::optional<char> prefix;
      if (s[i] == '!' || s[i] == '\'' || s[i] == '"') {
        prefix = s[i++];
        while (i < s.size() && is_space(s[i])) ++i;
      }
      if (count == channels) {
        return problem(" has over " + std::to_string(channels) + " value" +
                       (channels == 1 ? "" : "s") + ", but its format has " +
                       channels_text(format));
      }
      const size_t k = count++;
      std::optional<double> v;
      if (i < s.size() && !prefix && s[i] != '\0' && std::strchr("TF*?", s[i]) != nullptr) {
        ++i;  // a boolean, an unchanged or an unknown value: fine where it is not X or Y
      } else if (v = number_at(s, i); !v) {
        size_t end = i;
        while (end < s.size() && !is_space(s[end]) && s[end] != ',') ++end;
        const auto token = std::string_view(s).substr(i, end - i);
        if (prefix) {
          return problem(": the prefix " + std::string(1, *prefix) + " is followed by " +
                         (token.empty() ? std::string("nothing") : in_quotes(token)) +
                         ", not a number");
        }
        return problem(": " + in_quotes(token) + " is not a number");
      }
      if (prefix) modes[k] = *prefix;
      if (k != format.x && k != format.y) continue;
      const bool is_x = k == format.x;
      const char* channel = is_x ? "X" : "Y";
      if (!v) {
        return problem(": " + std::string(channel) + " is " +
                       in_quotes(std::string_view(s).substr(value_at, i - value_at)) +
                       ", not a number; the ink needs a place");
      }
      double& value = is_x ? p.x : p.y;
      const double before = is_x ? last.x : last.y;
      double& speed = is_x ? velocity.x : velocity.y;
      if (modes[k] == '!') {
        value = *v;
      } else if (modes[k] == '\'' && point >= 2) {
        value = before + *v;
      } else if (modes[k] == '"' && point >= 3) {
        value = before + speed + *v;
      } else {
        return problem(": " + std::string(channel) + " is a " +
                       (modes[k] == '\''
                            ? "first difference (') but no point comes"
                            : "second difference (\") but fewer than two points come") +
                       " before it");
      }
      if (!std::isfinite(value) || std::abs(value) > kMaxCoordinate) {
        return problem(": " + std::string(channel) + " is beyond +-1e9");
      }
      speed = point >= 2 ? value - before : 0;
    }
    if (count == 0) {
      return problem(" is empty (two commas, or a comma at the end)");
    }
    if (count < format.regular) {
      return problem(" has " + std::to_string(count) + " value" + (count == 1 ? "" : "s") +
                     ", but its format has " + channels_text(format));
    }
    trace.points.push_back(p);
    last = p;
    if (points_ + trace.points.size() > kMaxPoints) {
      return problem(": over " + std::to_string(kMaxPoints) +
                     " points in one file; split the document");
    }
    if (i == s.size()) break;
    ++i;  // the comma
  }
  return {};
}

Status Reader::resolve_views() {
  for (Node& n : nodes_) {
    if (n.kind != Node::kView || trim(n.ref).empty()) continue;
    const auto found = ids_.find(std::string(reference(n.ref)));
    if (found == ids_.end()) {
      return at(n.line, "traceView refers to " + in_quotes(n.ref) +
                            ", which no trace, traceGroup or traceView of this document defines");
    }
    n.target = found->second;
  }
  // A depth-first walk through children and references; meeting a node still open is a cycle.
  enum : uint8_t { kNew, kOpen, kDone };
  std::vector<uint8_t> state(nodes_.size(), kNew);
  struct Frame {
    size_t node;
    size_t next;    // the next child
    bool referred;  // entered through a traceDataRef
    bool ref_done;
  };
  std::vector<Frame> stack;
  for (size_t root = 0; root < nodes_.size(); ++root) {
    if (state[root] != kNew) continue;
    state[root] = kOpen;
    stack.push_back({root, root + 1, false, false});
    while (!stack.empty()) {
      Frame& f = stack.back();
      const Node& n = nodes_[f.node];
      size_t next = kNone;
      bool referred = false;
      if (f.next < n.end) {
        next = f.next;
        f.next = nodes_[next].end;
      } else if (!f.ref_done) {
        f.ref_done = true;
        next = n.target;
        referred = true;
      } else {
        state[f.node] = kDone;
        stack.pop_back();
        continue;
      }
      if (next == kNone || state[next] == kDone) continue;
      if (state[next] == kOpen) {
        // The view whose reference closes the cycle, or one on the way back to `next`.
        size_t view = f.node;
        if (!referred) {
          size_t k = stack.size();
          while (k > 0 && stack[k - 1].node != next) --k;
          for (; k < stack.size(); ++k) {
            if (stack[k].referred) {
              view = stack[k - 1].node;
              break;
            }
          }
        }
        return at(nodes_[view].line, "traceView refers to " + in_quotes(nodes_[view].ref) +
                                         ", which leads back to the traceView itself");
      }
      state[next] = kOpen;
      stack.push_back({next, next + 1, referred, false});
    }
  }
  return {};
}

Result<std::vector<size_t>> Reader::collect(size_t from) {
  if (mark_.size() != nodes_.size()) mark_.assign(nodes_.size(), 0);
  ++stamp_;
  std::vector<size_t> traces;
  std::vector<size_t> todo{from};
  while (!todo.empty()) {
    const size_t top = todo.back();
    todo.pop_back();
    // The node and everything inside it; a node already marked has all inside it marked.
    for (size_t j = top; j < nodes_[top].end;) {
      if (mark_[j] == stamp_) {
        j = std::max(nodes_[j].end, j + 1);
        continue;
      }
      mark_[j] = stamp_;
      if (++visits_ > kMaxVisits) {
        return at(nodes_[from].line, "traceViews lead through the same ink over " +
                                         std::to_string(kMaxVisits) + " times");
      }
      const Node& n = nodes_[j];
      if (n.kind == Node::kTrace && traces_[n.trace].ink) traces.push_back(n.trace);
      if (n.target != kNone) todo.push_back(n.target);
      ++j;
    }
  }
  std::sort(traces.begin(), traces.end());
  return traces;
}

Status Reader::add_sample(size_t from, const std::vector<size_t>& parts,
                          std::vector<InkSample>& samples) {
  auto no_ink = [&](size_t node) {
    const Node& n = nodes_[node];
    if (n.kind == Node::kInk) return at(n.line, "the document has no pen-down trace");
    return at(n.line, describe(node) + " labelled " + in_quotes(n.truth) +
                          " has no ink: no pen-down trace, nor a traceView of one");
  };
  auto traces = collect(from);
  if (!traces) return traces.error();
  if (traces->empty()) return no_ink(from);
  const Node& root = nodes_[from];
  InkSample sample;
  sample.label = root.truth;
  sample.writer = root.writer.empty() ? nodes_[0].writer : root.writer;
  sample.where = name_ + ":" + std::to_string(root.line);
  for (const size_t t : *traces) {
    given_ += traces_[t].points.size();
    if (given_ > kMaxPoints) {
      return at(root.line, "the samples would hold over " + std::to_string(kMaxPoints) +
                               " points (traceViews repeat the same traces)");
    }
    sample.strokes.push_back(traces_[t].points);
  }
  for (const size_t p : parts) {
    auto own = collect(p);
    if (!own) return own.error();
    if (own->empty()) return no_ink(p);
    InkPart part;
    part.label = nodes_[p].truth;
    for (const size_t t : *own) {
      const auto found = std::lower_bound(traces->begin(), traces->end(), t);
      if (found != traces->end() && *found == t) part.strokes.push_back(found - traces->begin());
    }
    sample.parts.push_back(std::move(part));
  }
  samples.push_back(std::move(sample));
  return {};
}

Result<std::vector<InkSample>> Reader::read(const pugi::xml_node& ink) {
  if (local_name(ink.name()) != "ink") {
    return at(line(ink), "the root element is <" + plain(ink.name()) +
                             "> where InkML has <ink>; this is not an InkML document");
  }
  ink_ = ink;
  DIGITS_RETURN_IF_ERROR(read_definitions(ink, 0));
  auto root = add_node(Node::kInk, ink);
  if (!root) return root.error();
  nodes_[0].truth = annotation(ink, "truth");
  nodes_[0].writer = annotation(ink, "writer");
  DIGITS_RETURN_IF_ERROR(read_content(ink, Format{}, 0));
  nodes_[0].end = nodes_.size();
  if (traces_.empty()) return at(nodes_[0].line, "the document has no <trace>");
  DIGITS_RETURN_IF_ERROR(resolve_views());

  // Labelled groups: the outermost are samples, the innermost parts (nodes are in preorder, so
  // a group's descendants follow it and its parent comes before it).
  const size_t n = nodes_.size();
  auto labelled = [&](size_t i) {
    return nodes_[i].kind == Node::kGroup && !nodes_[i].truth.empty();
  };
  std::vector<bool> inner(n, false), outer(n, false);
  std::vector<size_t> parent(n, kNone);
  for (size_t i = 0; i < n; ++i) {
    for (size_t c = i + 1; c < nodes_[i].end; c = nodes_[c].end) parent[c] = i;
  }
  std::vector<bool> labelled_inside(n, false), labelled_above(n, false);
  for (size_t i = n; i-- > 1;) {
    if (labelled(i) || labelled_inside[i]) labelled_inside[parent[i]] = true;
  }
  for (size_t i = 1; i < n; ++i) {
    labelled_above[i] = labelled_above[parent[i]] || labelled(parent[i]);
    inner[i] = labelled(i) && !labelled_inside[i];
    outer[i] = labelled(i) && !labelled_above[i];
  }
  std::vector<InkSample> samples;
  auto parts_in = [&](size_t from) {
    std::vector<size_t> parts;
    for (size_t i = from + 1; i < nodes_[from].end; ++i) {
      if (inner[i]) parts.push_back(i);
    }
    return parts;
  };
  if (!nodes_[0].truth.empty() || std::find(outer.begin(), outer.end(), true) == outer.end()) {
    DIGITS_RETURN_IF_ERROR(add_sample(0, parts_in(0), samples));
  } else {
    for (size_t i = 1; i < n; ++i) {
      if (outer[i]) DIGITS_RETURN_IF_ERROR(add_sample(i, parts_in(i), samples));
    }
  }
  return samples;
}

}  // namespace

Result<std::vector<InkSample>> parse_inkml(std::string_view text, const std::string& name) {
  if (text.size() > kMaxFileBytes) {
    return Error{name + ": is over 32 MiB; InkML files of handwriting are far smaller"};
  }
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return Error{name + ":" + std::to_string(Lines(text).at(static_cast<ptrdiff_t>(nul))) +
                 ": holds a NUL byte; this is not UTF-8 XML text (UTF-16 is not read)"};
  }
  pugi::xml_document document;
  const pugi::xml_parse_result parsed =
      document.load_buffer(text.data(), text.size(), pugi::parse_default, pugi::encoding_utf8);
  if (parsed.status == pugi::status_no_document_element) {
    return Error{name + ":1: holds no XML element; this is not an InkML document"};
  }
  if (!parsed) {
    return Error{name + ":" + std::to_string(Lines(text).at(parsed.offset)) +
                 ": not well-formed XML: " + parsed.description()};
  }
  if (!document.document_element()) {
    return Error{name + ":1: holds no XML element; this is not an InkML document"};
  }
  return Reader(text, name).read(document.document_element());
}

Result<std::vector<InkSample>> load_inkml(const std::string& path) {
  auto text = detail::read_text_file(path, kMaxFileBytes,
                                     "is over 32 MiB; InkML files of handwriting are far smaller");
  if (!text) return text.error();
  return parse_inkml(*text, path);
}

bool looks_like_inkml(std::string_view head) {
  if (head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);
  const size_t at = head.find_first_not_of(" \t\r\n");
  if (at == std::string_view::npos) return false;
  head.remove_prefix(at);
  if (head.substr(0, 5) == "<?xml") return true;
  if (head.empty() || head.front() != '<') return false;
  const auto tag = head.substr(1, head.find_first_of(" \t\r\n/>") - 1);
  const size_t colon = tag.find(':');
  return (colon == std::string_view::npos ? tag : tag.substr(colon + 1)) == "ink";
}

}  // namespace digits
