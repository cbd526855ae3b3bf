// Written numbers through digit-predict --ink: a line per sample (the file's path for a file of
// one), the score on labelled ink and the sheet of misread numbers; numbers composed from pen
// digits (--compose), seeded; and the mistakes a user can make with these options, each a clean
// one-line error.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "pen_digits.h"
#include "programs.h"
#include "test_util.h"

namespace digits {
namespace {

using testing::command;
using testing::kPredict;
using testing::Outcome;
using testing::run;
using testing::TempDir;

using testing::ink_fixture;

std::string pretrained() { return testing::pretrained_path(); }

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(NumberPrograms, PredictReadsEachInkFileAndScoresTheLabelledOnes) {
  if (pretrained().empty()) GTEST_SKIP() << "checkpoints/pretrained.pt is not in this checkout";
  TempDir dir;
  const Outcome o =
      run(command(kPredict, "--threads 1 --quiet",
                  {"--checkpoint", pretrained(), "--ink", ink_fixture("number-2024.inkml"),
                   ink_fixture("numbers-uci.inkml"), "--misread-png", dir.file("misread.png")}),
          dir.file("predict"));
  ASSERT_TRUE(o.exited && o.code == 0) << o.describe();
  const auto out = lines(o.out);
  ASSERT_GE(out.size(), 11u) << o.out;
  // A file of one sample is named by its path; one of several by FILE:LINE of each.
  EXPECT_EQ(out[0], ink_fixture("number-2024.inkml") + " number=2024 confidence=" +
                        out[0].substr(out[0].find("confidence=") + 11));
  const std::regex line(
      R"(^(\S+) number=(none|\d+) confidence=([01]\.\d{4})( truth=\d+)?( why=[a-z-]+(:\d+)?)?$)");
  for (size_t i = 0; i < 10; ++i) {
    EXPECT_TRUE(std::regex_match(out[i], line)) << out[i];
    if (i > 0) {
      EXPECT_EQ(out[i].rfind(ink_fixture("numbers-uci.inkml") + ":", 0), 0u) << out[i];
    }
  }
  // The shipped model reads all 10 exactly; its 5 written as an S, doubted under the bar alone, is
  // read among sure digits (a lower bar). A number read as none would be scored as misread, every
  // digit of it an edit, and drawn.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      o.out, m, std::regex(R"(\nnumbers=10 exact=\S+ \((\d+)\) digits=\S+ \((\d+) edits in)")))
      << o.out;
  const int exact = std::stoi(m[1]), edits = std::stoi(m[2]);
  EXPECT_GE(exact, 9) << o.out;
  EXPECT_NE(o.out.find(" none=" + std::string(exact == 10 ? "0.0000 (0)" : "0.1000 (1)")),
            std::string::npos)
      << o.out;
  EXPECT_EQ(edits == 0, exact == 10) << o.out;
  EXPECT_TRUE(std::filesystem::exists(dir.file("misread.png")));
  EXPECT_NE(o.err.find("drew the " + std::to_string(10 - exact) + " misread numbers"),
            std::string::npos)
      << o.describe();
}

// Two straight strokes meeting at the bottom, a V: digit-draw reads them as two 1s meeting end to
// end at an angle, no number, and says why.
TEST(NumberPrograms, DrawSaysWhyAVIsNoNumber) {
  if (pretrained().empty()) GTEST_SKIP() << "checkpoints/pretrained.pt is not in this checkout";
  if (!std::filesystem::exists(testing::kDraw)) GTEST_SKIP() << "digit-draw is not built";
  TempDir dir;
  std::string v;
  auto stroke = [&v](double x0, double y0, double x1, double y1) {
    v += "down " + std::to_string(x0) + " " + std::to_string(y0) + "\n";
    for (int i = 1; i <= 12; ++i) {
      v += "move " + std::to_string(x0 + (x1 - x0) * i / 12) + " " +
           std::to_string(y0 + (y1 - y0) * i / 12) + "\n";
    }
    v += "up\n";
  };
  stroke(0.60, 0.30, 0.70, 0.70);
  stroke(0.72, 0.70, 0.84, 0.30);
  testing::write_file(dir.file("v.replay"), v);
  ::setenv("SDL_VIDEODRIVER", "dummy", 1);
  const Outcome o =
      run(command(testing::kDraw, "--exit-after-replay --threads 1 --print-prediction",
                  {"--checkpoint", pretrained(), "--replay", dir.file("v.replay"), "--teach-file",
                   dir.file("teach.csv")}),
          dir.file("draw"));
  ASSERT_TRUE(o.exited && o.code == 0) << o.describe();
  EXPECT_TRUE(std::regex_search(o.out, std::regex("\nnumber=none confidence=0\\.0000 "
                                                  "canvas=\\d+x\\d+ why=corner:1\n")))
      << o.out;
}

TEST(NumberPrograms, ComposedNumbersAreSeededAndScored) {
  TempDir dir;
  const Outcome trained = run(testing::tiny_run(dir.file("run")), dir.file("train"));
  ASSERT_TRUE(trained.exited && trained.code == 0) << trained.describe();
  testing::write_file(dir.file("pen.tes"), testing::synthetic_unipen(4, 3, 9));
  auto read = [&](const std::string& seed) {
    return run(command(kPredict, "--threads 1 --quiet --compose 12 --compose-seed " + seed,
                       {"--checkpoint", dir.file("run/best.pt"), "--ink", dir.file("pen.tes")}),
               dir.file("predict" + seed));
  };
  const Outcome a = read("5"), b = read("5"), c = read("6");
  ASSERT_TRUE(a.exited && a.code == 0) << a.describe();
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out, c.out);
  const auto out = lines(a.out);
  ASSERT_GE(out.size(), 14u) << a.out;
  for (size_t i = 0; i < 12; ++i) {
    EXPECT_EQ(out[i].rfind("composed:" + std::to_string(i + 1) + " number=", 0), 0u) << out[i];
    EXPECT_NE(out[i].find(" truth="), std::string::npos) << out[i];
  }
  EXPECT_EQ(out[13].rfind("numbers=12 exact=", 0), 0u) << a.out;
  EXPECT_NE(a.err.find("reading 12 written numbers composed from the --ink digits"),
            std::string::npos)
      << a.describe();
}

TEST(NumberPrograms, MinConfidenceIsTheBarOfNoNumber) {
  TempDir dir;
  const Outcome trained = run(testing::tiny_run(dir.file("run")), dir.file("train"));
  ASSERT_TRUE(trained.exited && trained.code == 0) << trained.describe();
  testing::write_file(dir.file("pen.tes"), testing::synthetic_unipen(4, 3, 9));
  // How many of the same 12 composed numbers read as none under a bar (none: the default), and
  // how many of them say a digit was doubted (each says why).
  int doubted = 0;
  auto none_under = [&](const std::string& bar) {
    std::vector<std::string> args = {"--checkpoint", dir.file("run/best.pt"), "--ink",
                                     dir.file("pen.tes")};
    if (!bar.empty()) args.insert(args.end(), {"--min-confidence", bar});
    const Outcome o =
        run(command(kPredict, "--threads 1 --quiet --compose 12", args), dir.file("predict" + bar));
    EXPECT_TRUE(o.exited && o.code == 0) << o.describe();
    int none = 0;
    doubted = 0;
    for (const std::string& line : lines(o.out)) {
      if (line.rfind("composed:", 0) != 0 || line.find(" number=none ") == std::string::npos) {
        continue;
      }
      ++none;
      EXPECT_NE(line.find(" why="), std::string::npos) << line;
      doubted += std::regex_search(line, std::regex(" why=doubted:[1-9][0-9]*$"));
    }
    return none;
  };
  const int lowest = none_under("0"), usual = none_under(""), highest = none_under("1");
  EXPECT_LE(lowest, usual);
  EXPECT_LE(usual, highest);
  EXPECT_LT(lowest, highest);           // the bar, not another rule, decides here
  EXPECT_EQ(usual, none_under("0.2"));  // the default is the reader's own bar
  // No digit of a few steps' network is sure beyond doubt: the highest bar reads nothing.
  EXPECT_EQ(none_under("1"), 12);
  EXPECT_GT(doubted, 0) << "a digit under the bar is named";
  // A bar outside [0, 1], or one without --ink, is refused by name.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--ink", dir.file("pen.tes"), "--min-confidence", "1.5"},
        std::vector<std::string>{"--data", dir.file("pen.tes"), "--min-confidence", "0.4"}}) {
    std::vector<std::string> all = {"--checkpoint", dir.file("run/best.pt")};
    all.insert(all.end(), args.begin(), args.end());
    const Outcome o = run(command(kPredict, "--threads 1 --quiet", all), dir.file("bad"));
    ASSERT_TRUE(o.exited) << o.describe();
    EXPECT_EQ(o.code, 2) << o.describe();
    EXPECT_NE(o.err.find("--min-confidence"), std::string::npos) << o.describe();
  }
}

TEST(NumberPrograms, MistakesWithInkAreOneLineErrors) {
  TempDir dir;
  const Outcome trained = run(testing::tiny_run(dir.file("run")), dir.file("train"));
  ASSERT_TRUE(trained.exited && trained.code == 0) << trained.describe();
  const std::string model = dir.file("run/best.pt");
  testing::write_file(dir.file("digits.csv"), "label,pixel0\n1,0\n");
  testing::write_file(dir.file("plain.inkml"), "<ink><trace>0 0, 5 5</trace></ink>");
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> needles;
  };
  const std::vector<Case> cases = {
      {{"--ink", dir.file("digits.csv")}, {dir.file("digits.csv"), "neither InkML"}},
      {{"--ink", dir.file("nothing.inkml")}, {dir.file("nothing.inkml"), "no such file"}},
      {{"--ink", ink_fixture("number-2024.inkml"), "--compose", "3"},
       {"--compose needs UNIPEN pen digits", "number-2024.inkml"}},
      {{"--ink", dir.file("plain.inkml"), "--misread-png", dir.file("m.png")},
       {"--misread-png needs labelled ink"}},
      {{"--ink", ink_fixture("number-2024.inkml"), "--exclude", "1:2"}, {"--exclude", "--compose"}},
      {{"--ink", ink_fixture("number-2024.inkml"), "--misread-png",
        ink_fixture("number-2024.inkml")},
       {"--misread-png"}},
      {{}, {"--data FILE", "--ink FILE"}},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"--checkpoint", model};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const Outcome o = run(command(kPredict, "--threads 1 --quiet", args), dir.file("p"));
    testing::expect_clean_error(o, c.needles, "digit-predict");
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("m.png")));
  // Options that mean nothing for ink are refused by name.
  const Outcome both = run(command(kPredict, "--threads 1 --quiet",
                                   {"--checkpoint", model, "--ink",
                                    ink_fixture("number-2024.inkml"), "--out", dir.file("s.csv")}),
                           dir.file("p"));
  ASSERT_TRUE(both.exited) << both.describe();
  EXPECT_EQ(both.code, 2) << both.describe();
  EXPECT_NE(both.err.find("--out"), std::string::npos) << both.describe();
}

}  // namespace
}  // namespace digits
