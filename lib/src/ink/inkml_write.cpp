// Writing ink as InkML (inkml.h inkml_text): the reader's own format, for composed numbers and
// for tests that need a document of known content.
#include <charconv>
#include <string>

#include "digits/ink/inkml.h"
#include "io/atomic_file.h"

namespace digits {

namespace {

std::string number(double v) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 6);
  if (ec != std::errc()) return "0";
  std::string s(buf, end);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s == "-0" || s.empty() ? "0" : s;
}

std::string escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        // XML 1.0 has no other control characters than tab, newline and carriage return.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace

std::string inkml_text(const std::vector<InkSample>& samples) {
  std::string doc =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ink xmlns=\"http://www.w3.org/2003/InkML\">\n";
  size_t next = 0;
  std::string groups;
  for (const InkSample& s : samples) {
    const size_t first = next;
    for (const InkStroke& stroke : s.strokes) {
      doc += "  <trace xml:id=\"t" + std::to_string(next++) + "\">";
      for (size_t k = 0; k < stroke.size(); ++k) {
        doc += (k ? ", " : "") + number(stroke[k].x) + " " + number(stroke[k].y);
      }
      doc += "</trace>\n";
    }
    groups += "  <traceGroup>\n";
    groups += "    <annotation type=\"truth\">" + escaped(s.label) + "</annotation>\n";
    if (!s.writer.empty()) {
      groups += "    <annotation type=\"writer\">" + escaped(s.writer) + "</annotation>\n";
    }
    auto view = [&](size_t k, const char* indent) {
      groups += std::string(indent) + "<traceView traceDataRef=\"#t" + std::to_string(first + k) +
                "\"/>\n";
    };
    if (s.parts.empty()) {
      for (size_t k = 0; k < s.strokes.size(); ++k) view(k, "    ");
    }
    for (const InkPart& part : s.parts) {
      groups += "    <traceGroup>\n      <annotation type=\"truth\">" + escaped(part.label) +
                "</annotation>\n";
      for (size_t k : part.strokes) view(k, "      ");
      groups += "    </traceGroup>\n";
    }
    groups += "  </traceGroup>\n";
  }
  return doc + groups + "</ink>\n";
}

Status write_inkml(const std::string& path, const std::vector<InkSample>& samples) {
  return detail::write_file_atomically(path, inkml_text(samples), "InkML");
}

}  // namespace digits
