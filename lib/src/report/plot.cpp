#include "digits/report/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <vector>

#include "digits/train/trainer.h"
#include "io/atomic_file.h"
#include "io/subprocess.h"

namespace digits {

namespace {

// gnuplot has a minute for a chart (it takes a tenth of a second); a hung one is killed.
constexpr int kGnuplotTimeoutMs = 60'000;

// A gnuplot string literal: single quotes take everything as it is, '' being one quote.
std::string quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'')
      q += "''";
    else if (c == '\n' || c == '\r')
      q += ' ';
    else
      q += c;
  }
  return q + "'";
}

std::string number(double v) {
  if (!std::isfinite(v)) return "?";  // gnuplot's missing value (set datafile missing)
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

// What gnuplot said, on one line: its messages repeat the script's line with a caret under it.
std::string gnuplot_message(const std::string& err) {
  std::string last;
  std::istringstream lines(err);
  for (std::string line; std::getline(lines, line);) {
    const auto begin = line.find_first_not_of(" \t^");
    if (begin == std::string::npos) continue;
    last = line.substr(begin);
  }
  return last.empty() ? "no message" : last;
}

// Runs `script` through gnuplot; the PNG it prints goes atomically to `png`.
Status render(const std::string& png, const std::string& script) {
  const std::string program = gnuplot_program();
  auto run = detail::run_program({program}, script, kGnuplotTimeoutMs);
  if (!run) {
    return io_error(png + ": cannot draw the chart: " + run.error().message +
                    " (Debian: apt-get install gnuplot-nox; or set DIGITS_GNUPLOT)");
  }
  if (run->timed_out) return io_error(png + ": " + program + " did not finish within a minute");
  if (run->exit_code != 0) {
    return io_error(png + ": " + program + " failed: " + gnuplot_message(run->err));
  }
  if (run->out.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) {
    return io_error(png + ": " + program + " wrote no PNG (" + gnuplot_message(run->err) + ")");
  }
  return detail::write_file_atomically(png, run->out, "the chart");
}

// One size and font for every chart; text as it is (no enhanced-text markup: run folders have
// underscores).
std::string terminal(int width, int height) {
  return "set terminal pngcairo size " + std::to_string(width) + "," + std::to_string(height) +
         " font 'DejaVu Sans,10' noenhanced\n";
}

}  // namespace

std::string gnuplot_program() {
  const char* env = std::getenv("DIGITS_GNUPLOT");
  return env && *env ? env : "gnuplot";
}

Status plot_metrics(const std::string& metrics_csv, const std::string& png,
                    const std::string& title) {
  auto log = read_metrics_log(metrics_csv);
  if (!log) return io_error(png + ": " + log.error().message);
  const auto& rows = log.value();
  if (rows.empty()) return io_error(png + ": " + metrics_csv + ": no epoch yet");
  const double last_epoch = static_cast<double>(rows.back().epoch);
  bool validated = false;
  size_t best = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].best) best = i;
    validated = validated || rows[i].best;
  }

  std::string s = terminal(1200, 800);
  s += "set datafile missing '?'\n$m << EOD\n";
  for (const auto& r : rows) {
    for (double v : {static_cast<double>(r.epoch), r.train_loss, r.val_loss, r.val_acc, r.lr,
                     r.images_per_s}) {
      s += number(v) + " ";
    }
    s += "\n";
  }
  s += "EOD\n";
  s += "set multiplot layout 2,2 title " + quoted(title) + " font ',12'\n";
  s += "set grid\nset key top right\nset xlabel 'epoch'\n";
  s += "set xrange [0.5:" + number(last_epoch + 0.5) + "]\n";
  if (last_epoch <= 20) s += "set xtics 1\n";
  s += "set style line 1 lc rgb '#1f77b4' lw 2 pt 7 ps 0.6\n";
  s += "set style line 2 lc rgb '#d62728' lw 2 pt 7 ps 0.6\n";

  s += "set title 'Loss'\nset ylabel 'cross-entropy (log scale)'\nset logscale y\n";
  s += "plot $m using 1:2 with linespoints ls 1 title 'training'";
  if (validated) s += ", $m using 1:3 with linespoints ls 2 title 'validation'";
  s += "\nunset logscale y\n";

  s += "set title 'Validation accuracy'\nset ylabel 'accuracy (%)'\nset format y '%.2f'\n";
  if (validated) {
    char label[160];
    std::snprintf(label, sizeof label, "best %.2f%% (epoch %lld)", 100 * rows[best].val_acc,
                  static_cast<long long>(rows[best].epoch));
    s += "set label 1 " + quoted(label) + " at " + std::to_string(rows[best].epoch) + "," +
         number(100 * rows[best].val_acc) +
         " point pt 6 ps 2 lc rgb '#d62728' offset -2,-1.5 right\n";
    s += "set key bottom right\n";
    s += "plot $m using 1:($4*100) with linespoints ls 2 title 'validation'\nunset label 1\n";
    s += "set key top right\n";
  } else {
    s += "set label 1 'no validation split (--val-fraction 0)' at graph 0.5,0.5 center\n";
    s += "set yrange [0:100]\nplot -1 notitle\nunset label 1\nset yrange [*:*]\n";
  }
  s += "set format y '%g'\n";

  s += "set title 'Learning rate (at the end of each epoch)'\nset ylabel 'learning rate'\n";
  s += "plot $m using 1:5 with linespoints ls 1 title 'learning rate'\n";
  s += "set title 'Training speed'\nset ylabel 'images/s'\n";
  s += "set yrange [0:*]\nplot $m using 1:6 with linespoints ls 1 title 'images/s'\n";
  s += "unset multiplot\n";
  return render(png, s);
}

Status plot_confusion(const ConfusionMatrix& m, const std::string& png, const std::string& title) {
  std::string s = terminal(760, 680);
  s += "set title " + quoted(title) + " font ',12'\n";
  s += "set xlabel 'predicted digit'\nset ylabel 'true digit'\n";
  s += "set xrange [-0.5:9.5]\nset yrange [9.5:-0.5]\nset xtics 0,1,9\nset ytics 0,1,9\n";
  s += "set tics scale 0\nset size ratio -1\n";
  s += "set logscale cb\nset cbrange [1e-4:1]\nset format cb '%g'\n";
  s += "set cblabel 'share of the true digit''s images (log scale)'\n";
  s += "set palette defined (0 '#f7fbff', 0.5 '#6baed6', 1 '#08306b')\n";
  // The colours: a cell without images is missing, so it stays white.
  s += "set datafile missing '?'\n$share << EOD\n";
  for (int t = 0; t < kClasses; ++t) {
    const double support = static_cast<double>(m.support(t));
    for (int p = 0; p < kClasses; ++p) {
      const int64_t n = m.count(t, p);
      s += (p ? " " : "") + (n ? number(static_cast<double>(n) / support) : std::string("?"));
    }
    s += "\n";
  }
  // The counts: white on the dark cells, black on the light ones.
  s += "EOD\n$count << EOD\n";
  for (int t = 0; t < kClasses; ++t) {
    const double support = static_cast<double>(m.support(t));
    for (int p = 0; p < kClasses; ++p) {
      const int64_t n = m.count(t, p);
      if (!n) continue;
      const bool dark = static_cast<double>(n) / support > 0.1;
      s += std::to_string(p) + " " + std::to_string(t) + " " + std::to_string(n) + " " +
           (dark ? "16777215" : "0") + "\n";
    }
  }
  s += "EOD\n";
  s += "plot $share matrix with image notitle, "
       "$count using 1:2:(sprintf('%d', $3)):4 with labels tc rgb variable notitle\n";
  return render(png, s);
}

}  // namespace digits
