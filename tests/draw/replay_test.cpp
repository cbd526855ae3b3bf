// Tests of digits/draw/replay.h and digits/draw/keys.h: every event of a replay script, errors that
// name the script and line, key names with modifiers, and what each key does in the app.
#include "digits/draw/replay.h"

#include <gtest/gtest.h>

#include "digits/draw/keys.h"
#include "test_util.h"

namespace digits {
namespace {

using Kind = ReplayEvent::Kind;

TEST(Replay, ParsesEveryEvent) {
  const auto events = parse_replay(
      "# a seven\n"
      "\n"
      "down 0.2 0.25\r\n"
      "  move 0.8 0.25\n"
      "move 1.9 1\n"  // in canvas heights: right of the left square of a wide canvas
      "up\n"
      "rdown 0 0.5\n"
      "rup\n"
      "key ctrl+z\n"
      "key C\n"
      "wait 250\n"
      "print\n"
      "drop checkpoints/my model.pt\n",
      "s.replay");
  ASSERT_TRUE(events) << events.error().message;
  ASSERT_EQ(events->size(), 11u);
  const auto& e = events.value();
  EXPECT_EQ(e[0].kind, Kind::kDown);
  EXPECT_FLOAT_EQ(e[0].x, 0.2f);
  EXPECT_FLOAT_EQ(e[0].y, 0.25f);
  EXPECT_EQ(e[0].line, 3);
  EXPECT_EQ(e[1].kind, Kind::kMove);
  EXPECT_EQ(e[2].kind, Kind::kMove);
  EXPECT_FLOAT_EQ(e[2].x, 1.9f);
  EXPECT_EQ(e[3].kind, Kind::kUp);
  EXPECT_EQ(e[4].kind, Kind::kRightDown);
  EXPECT_EQ(e[5].kind, Kind::kRightUp);
  EXPECT_EQ(e[6].kind, Kind::kKey);
  EXPECT_TRUE(e[6].key.ctrl);
  EXPECT_EQ(e[6].key.key, "z");
  EXPECT_EQ(e[7].key.key, "c");
  EXPECT_FALSE(e[7].key.ctrl);
  EXPECT_EQ(e[8].kind, Kind::kWait);
  EXPECT_EQ(e[8].wait_ms, 250);
  EXPECT_EQ(e[9].kind, Kind::kPrint);
  EXPECT_EQ(e[10].kind, Kind::kDrop);
  EXPECT_EQ(e[10].path, "checkpoints/my model.pt");
  EXPECT_EQ(e[10].line, 13);
}

TEST(Replay, EmptyScriptIsFine) {
  const auto events = parse_replay("# nothing\n\n", "empty");
  ASSERT_TRUE(events);
  EXPECT_TRUE(events->empty());
}

// Each bad line gives an error starting "bad.replay:LINE:" and saying what was expected.
TEST(Replay, ErrorsNameTheScriptLineAndProblem) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"jump 0.1 0.2", "unknown event 'jump'"},
      {"down 0.1", "'down' takes 2 arguments, got 1"},
      {"move 0.1 0.2 0.3", "takes 2 arguments, got 3"},
      {"down 4.5 0.2", "X is '4.5', expected a number 0..4"},
      {"down -0.1 0.2", "X is '-0.1', expected a number 0..4"},
      {"down 0.5 -0.1", "Y is '-0.1', expected a number 0..1"},
      {"move 0.5 abc", "Y is 'abc'"},
      {"move nan 0.5", "X is 'nan'"},
      {"up 0.5 0.5", "'up' takes 0 arguments"},
      {"key", "'key' takes 1 argument, got 0"},
      {"key hyper+c", "unknown modifier 'hyper'"},
      {"wait -5", "wait is '-5', expected whole milliseconds"},
      {"wait 1.5", "wait is '1.5'"},
      {"wait 9999999", "wait is '9999999'"},
      {"drop", "'drop' needs a file"},
  };
  for (const auto& [line, what] : cases) {
    const auto r = parse_replay("down 0.5 0.5\n\n" + line + "\n", "bad.replay");
    ASSERT_FALSE(r) << line;
    EXPECT_EQ(r.error().message.rfind("bad.replay:3: ", 0), 0u) << r.error().message;
    EXPECT_NE(r.error().message.find(what), std::string::npos) << r.error().message;
  }
}

TEST(Replay, LoadNamesAMissingFileOrAFolder) {
  testing::TempDir dir;
  auto missing = load_replay(dir.file("none.replay"));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("none.replay: cannot open"), std::string::npos);
  auto folder = load_replay(dir.path());
  ASSERT_FALSE(folder);
  EXPECT_NE(folder.error().message.find("is a directory"), std::string::npos);
  testing::write_file(dir.file("ok.replay"), "down 0.5 0.5\nup\n");
  // A device never ends: reading stops at a size no script reaches, with an error.
  auto endless = load_replay("/dev/zero");
  ASSERT_FALSE(endless);
  EXPECT_NE(endless.error().message.find("/dev/zero"), std::string::npos);
  auto ok = load_replay(dir.file("ok.replay"));
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->size(), 2u);
}

TEST(Keys, ParsesModifiersAndNames) {
  auto k = parse_key_chord("Ctrl+Shift+Z");
  ASSERT_TRUE(k);
  EXPECT_TRUE(k->ctrl);
  EXPECT_TRUE(k->shift);
  EXPECT_FALSE(k->alt);
  EXPECT_EQ(k->key, "z");
  EXPECT_EQ(k->to_string(), "ctrl+shift+z");
  auto plus = parse_key_chord("ctrl++");
  ASSERT_TRUE(plus);
  EXPECT_EQ(plus->key, "+");
  auto spaced = parse_key_chord("keypad 7");
  ASSERT_TRUE(spaced);
  EXPECT_EQ(spaced->key, "keypad 7");
  EXPECT_FALSE(parse_key_chord(""));
  EXPECT_FALSE(parse_key_chord("meta+x"));
}

std::optional<BoundCommand> command(const std::string& chord) {
  auto k = parse_key_chord(chord);
  EXPECT_TRUE(k) << chord;
  return command_for(*k);
}

TEST(Keys, EveryDocumentedKeyDoesItsCommand) {
  const std::vector<std::pair<std::string, Command>> bound = {
      {"c", Command::kClear},       {"backspace", Command::kClear},
      {"delete", Command::kClear},  {"ctrl+z", Command::kUndo},
      {"g", Command::kToggleGrid},  {"m", Command::kToggleModelView},
      {"h", Command::kToggleHelp},  {"f1", Command::kToggleHelp},
      {"r", Command::kReload},      {"[", Command::kBrushSmaller},
      {"]", Command::kBrushBigger}, {"escape", Command::kQuit},
  };
  for (const auto& [key, cmd] : bound) {
    const auto c = command(key);
    ASSERT_TRUE(c) << key;
    EXPECT_EQ(c->command, cmd) << key;
  }
  for (int d = 0; d <= 9; ++d) {
    for (const std::string& key :
         {"ctrl+" + std::to_string(d), "ctrl+keypad " + std::to_string(d)}) {
      const auto c = command(key);
      ASSERT_TRUE(c) << key;
      EXPECT_EQ(c->command, Command::kTeach);
      EXPECT_EQ(c->digit, d);
    }
  }
  // Plain digits, other letters and Alt combinations do nothing: no accidental teaching.
  for (const std::string key : {"7", "z", "x", "alt+c", "ctrl+c", "ctrl+g"}) {
    EXPECT_FALSE(command(key)) << key;
  }
  EXPECT_FALSE(help_lines().empty());
}

}  // namespace
}  // namespace digits
