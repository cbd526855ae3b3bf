// Charts through gnuplot: the PNG is there, has the size asked for and shows its series; every
// failure (no epochs, a bad row, no gnuplot, a failing gnuplot) is an Error naming the file.
#include "digits/report/plot.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "test_util.h"

namespace digits {
namespace {

using testing::read_png;
using testing::Rgb;
using testing::TempDir;
using testing::write_file;

const char* kHeader = "epoch,train_loss,val_loss,val_acc,lr,images_per_s,seconds\n";

std::string metrics_rows(bool validated) {
  std::string s = kHeader;
  for (int e = 1; e <= 6; ++e) {
    s +=
        std::to_string(e) + "," + std::to_string(0.5 / e) + "," +
        (validated ? std::to_string(0.3 / e) + "," + std::to_string(0.97 + 0.004 * e) : "nan,nan") +
        "," + std::to_string(0.003 / e) + ",1200,50\n";
  }
  return s;
}

// The series' colours (plot.cpp): training blue, validation red.
constexpr int kBlue[] = {0x1f, 0x77, 0xb4};
constexpr int kRed[] = {0xd6, 0x27, 0x28};

TEST(Plot, MetricsChartShowsTrainingAndValidationCurves) {
  REQUIRE_GNUPLOT();
  TempDir dir;
  write_file(dir.file("metrics.csv"), metrics_rows(true));
  const auto st = plot_metrics(dir.file("metrics.csv"), dir.file("metrics.png"), "run");
  ASSERT_TRUE(st) << st.error().message;
  const Rgb png = read_png(dir.file("metrics.png"));
  EXPECT_EQ(png.width, 1200);
  EXPECT_EQ(png.height, 800);
  EXPECT_GT(png.count(kBlue[0], kBlue[1], kBlue[2]), 500);
  EXPECT_GT(png.count(kRed[0], kRed[1], kRed[2]), 500);
  EXPECT_EQ(testing::read_file(dir.file("metrics.png")).substr(1, 3), "PNG");
}

TEST(Plot, MetricsChartWithoutValidationHasNoValidationCurve) {
  REQUIRE_GNUPLOT();
  TempDir dir;
  write_file(dir.file("metrics.csv"), metrics_rows(false));
  const auto st = plot_metrics(dir.file("metrics.csv"), dir.file("metrics.png"), "run");
  ASSERT_TRUE(st) << st.error().message;
  const Rgb png = read_png(dir.file("metrics.png"));
  EXPECT_GT(png.count(kBlue[0], kBlue[1], kBlue[2]), 500);
  EXPECT_LT(png.count(kRed[0], kRed[1], kRed[2]), 20);
}

TEST(Plot, MetricsChartOfOneEpoch) {
  REQUIRE_GNUPLOT();
  TempDir dir;
  write_file(dir.file("metrics.csv"), std::string(kHeader) + "1,0.4,0.2,0.95,0.001,900,60\n");
  const auto st = plot_metrics(dir.file("metrics.csv"), dir.file("metrics.png"), "one epoch");
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_GT(read_png(dir.file("metrics.png")).count(kRed[0], kRed[1], kRed[2]), 10);
}

TEST(Plot, BadMetricsAreErrorsNamingTheLine) {
  TempDir dir;
  const std::string csv = dir.file("metrics.csv"), png = dir.file("metrics.png");
  write_file(csv, kHeader);
  auto st = plot_metrics(csv, png, "run");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("no epoch yet"), std::string::npos) << st.error().message;

  write_file(csv,
             std::string(kHeader) + "1,0.4,0.2,0.95,0.001,900,60\n2,0.3,oops,0.96,0.001,900,60\n");
  st = plot_metrics(csv, png, "run");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("metrics.csv:3: 'oops' is not a number"), std::string::npos)
      << st.error().message;

  write_file(csv, "label,pixel0\n1,2\n");
  st = plot_metrics(csv, png, "run");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("metrics.csv:1: no column 'epoch'"), std::string::npos)
      << st.error().message;

  st = plot_metrics(dir.file("absent.csv"), png, "run");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("absent.csv: cannot read"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(png));
}

// Sets an environment variable for one test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { had_ ? ::setenv(name_, old_.c_str(), 1) : ::unsetenv(name_); }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

TEST(Plot, WithoutGnuplotTheErrorSaysWhatToInstallAndKeepsTheOldChart) {
  TempDir dir;
  write_file(dir.file("metrics.csv"), metrics_rows(true));
  write_file(dir.file("metrics.png"), "the previous chart");
  ScopedEnv env("DIGITS_GNUPLOT", "digits-no-such-gnuplot");
  const auto st = plot_metrics(dir.file("metrics.csv"), dir.file("metrics.png"), "run");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("digits-no-such-gnuplot: not found"), std::string::npos)
      << st.error().message;
  EXPECT_NE(st.error().message.find("gnuplot-nox"), std::string::npos);
  EXPECT_EQ(testing::read_file(dir.file("metrics.png")), "the previous chart");
}

TEST(Plot, AFailingGnuplotIsAnErrorWithItsMessage) {
  TempDir dir;
  write_file(dir.file("metrics.csv"), metrics_rows(true));
  // A stand-in that reads its script, complains and fails, as gnuplot does on a bad script.
  write_file(dir.file("gnuplot"),
             "#!/bin/sh\ncat >/dev/null\necho '         ^' >&2\n"
             "echo 'line 3: unknown terminal type' >&2\nexit 1\n");
  std::filesystem::permissions(dir.file("gnuplot"), std::filesystem::perms::owner_all);
  ScopedEnv env("DIGITS_GNUPLOT", dir.file("gnuplot"));
  const auto st = plot_metrics(dir.file("metrics.csv"), dir.file("metrics.png"), "run");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("failed: line 3: unknown terminal type"), std::string::npos)
      << st.error().message;
  EXPECT_FALSE(std::filesystem::exists(dir.file("metrics.png")));
}

TEST(Plot, ConfusionMatrixHeatMap) {
  REQUIRE_GNUPLOT();
  ConfusionMatrix m;
  for (int d = 0; d < 10; ++d) {
    for (int i = 0; i < 400; ++i) m.add(d, d);
  }
  m.add(4, 9);
  m.add(7, 1);
  TempDir dir;
  const auto st = plot_confusion(m, dir.file("confusion.png"), "accuracy 99.95%");
  ASSERT_TRUE(st) << st.error().message;
  const Rgb png = read_png(dir.file("confusion.png"));
  EXPECT_EQ(png.width, 760);
  EXPECT_EQ(png.height, 680);
  // The full diagonal in the palette's darkest blue, ten cells of many pixels each.
  EXPECT_GT(png.count(0x08, 0x30, 0x6b, 30), 10 * 400);
}

}  // namespace
}  // namespace digits
