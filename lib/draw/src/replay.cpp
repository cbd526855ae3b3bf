#include "digits/draw/replay.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

namespace digits {

namespace {

constexpr int kMaxWaitMs = 600000;  // ten minutes: anything longer is a typo

std::vector<std::string> split_words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

bool parse_position(const std::string& text, double most, float* out) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || errno != 0 || !std::isfinite(v)) {
    return false;
  }
  if (v < 0.0 || v > most) return false;
  *out = static_cast<float>(v);
  return true;
}

}  // namespace

Result<std::vector<ReplayEvent>> parse_replay(const std::string& text, const std::string& name) {
  std::vector<ReplayEvent> events;
  std::istringstream in(text);
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (number == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
    const auto words = split_words(line);
    if (words.empty() || words[0][0] == '#') continue;
    const auto fail = [&](const std::string& what) {
      return Error{name + ":" + std::to_string(number) + ": " + what};
    };
    const std::string& cmd = words[0];
    ReplayEvent e;
    e.line = number;
    const auto arity = [&](size_t n, const char* usage) -> std::optional<Error> {
      if (words.size() != n + 1) {
        return fail("'" + cmd + "' takes " + std::to_string(n) + " argument" + (n == 1 ? "" : "s") +
                    ", got " + std::to_string(words.size() - 1) + " (expected '" + usage + "')");
      }
      return std::nullopt;
    };
    if (cmd == "down" || cmd == "move" || cmd == "rdown") {
      if (auto err = arity(2, (cmd + " X Y").c_str())) return *err;
      if (!parse_position(words[1], kMaxReplayX, &e.x)) {
        return fail("X is '" + words[1] +
                    "', expected a number 0..4 (canvas heights from the left edge)");
      }
      if (!parse_position(words[2], 1.0, &e.y)) {
        return fail("Y is '" + words[2] + "', expected a number 0..1 (a fraction of the height)");
      }
      e.kind = cmd == "down"   ? ReplayEvent::Kind::kDown
               : cmd == "move" ? ReplayEvent::Kind::kMove
                               : ReplayEvent::Kind::kRightDown;
    } else if (cmd == "up" || cmd == "rup" || cmd == "print") {
      if (auto err = arity(0, cmd.c_str())) return *err;
      e.kind = cmd == "up"    ? ReplayEvent::Kind::kUp
               : cmd == "rup" ? ReplayEvent::Kind::kRightUp
                              : ReplayEvent::Kind::kPrint;
    } else if (cmd == "key") {
      if (auto err = arity(1, "key NAME")) return *err;
      auto chord = parse_key_chord(words[1]);
      if (!chord) return fail(chord.error().message);
      e.kind = ReplayEvent::Kind::kKey;
      e.key = *chord;
    } else if (cmd == "wait") {
      if (auto err = arity(1, "wait MS")) return *err;
      char* end = nullptr;
      errno = 0;
      const long ms = std::strtol(words[1].c_str(), &end, 10);
      if (end != words[1].c_str() + words[1].size() || errno != 0 || ms < 0 || ms > kMaxWaitMs) {
        return fail("wait is '" + words[1] + "', expected whole milliseconds 0.." +
                    std::to_string(kMaxWaitMs));
      }
      e.kind = ReplayEvent::Kind::kWait;
      e.wait_ms = static_cast<int>(ms);
    } else if (cmd == "drop") {
      const size_t at = line.find("drop") + 4;
      const size_t begin = line.find_first_not_of(" \t", at);
      const size_t end = line.find_last_not_of(" \t");
      if (begin == std::string::npos) return fail("'drop' needs a file: 'drop PATH'");
      e.kind = ReplayEvent::Kind::kDrop;
      e.path = line.substr(begin, end - begin + 1);
    } else {
      return fail("unknown event '" + cmd +
                  "' (expected down, move, up, rdown, rup, key, wait, print or drop)");
    }
    events.push_back(e);
  }
  return events;
}

Result<std::vector<ReplayEvent>> load_replay(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return Error{path + ": is a directory, not a replay script"};
  // A script is text a person or a test wrote: a device such as /dev/zero never ends, so reading
  // stops at a size no script reaches.
  constexpr std::streamsize kMaxBytes = 16 << 20;
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{path + ": cannot open replay script: " + std::strerror(errno)};
  std::string text(static_cast<size_t>(kMaxBytes) + 1, '\0');
  in.read(text.data(), kMaxBytes + 1);
  if (in.bad()) return Error{path + ": cannot read replay script"};
  text.resize(static_cast<size_t>(in.gcount()));
  if (static_cast<std::streamsize>(text.size()) > kMaxBytes) {
    return Error{path + ": is over 16 MB, not a replay script"};
  }
  if (text.find('\0') != std::string::npos) {
    return Error{path + ": holds NUL bytes: not a replay script (text, one event a line)"};
  }
  return parse_replay(text, path);
}

}  // namespace digits
