#include "digits/evaluate/metrics.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

namespace digits {

namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

double ratio(int64_t num, int64_t den) {
  return den == 0 ? kNan : static_cast<double>(num) / static_cast<double>(den);
}

std::string pad_left(const std::string& s, int width) {
  return s.size() >= static_cast<size_t>(width) ? s : std::string(width - s.size(), ' ') + s;
}

// "0.9976", or "-" for an undefined ratio, right-aligned to `width`.
std::string cell(double v, int width) {
  if (std::isnan(v)) return pad_left("-", width);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return pad_left(buf, width);
}

std::string cell(int64_t v, int width) { return pad_left(std::to_string(v), width); }

}  // namespace

ConfusionMatrix ConfusionMatrix::of(const torch::Tensor& labels, const torch::Tensor& predicted) {
  const auto y = labels.to(torch::kCPU, torch::kInt64).contiguous();
  const auto p = predicted.to(torch::kCPU, torch::kInt64).contiguous();
  TORCH_CHECK(y.numel() == p.numel(), "labels and predictions differ in length");
  ConfusionMatrix m;
  const int64_t* yv = y.data_ptr<int64_t>();
  const int64_t* pv = p.data_ptr<int64_t>();
  for (int64_t i = 0; i < y.numel(); ++i) {
    TORCH_CHECK(yv[i] >= 0 && yv[i] < kClasses && pv[i] >= 0 && pv[i] < kClasses,
                "digit outside 0..9");
    m.add(yv[i], pv[i]);
  }
  return m;
}

int64_t ConfusionMatrix::total() const {
  int64_t n = 0;
  for (const auto& row : counts_) {
    for (int64_t v : row) n += v;
  }
  return n;
}

int64_t ConfusionMatrix::correct() const {
  int64_t n = 0;
  for (int64_t k = 0; k < kClasses; ++k) n += counts_[k][k];
  return n;
}

double ConfusionMatrix::accuracy() const { return ratio(correct(), total()); }

int64_t ConfusionMatrix::support(int64_t digit) const {
  int64_t n = 0;
  for (int64_t v : counts_[digit]) n += v;
  return n;
}

int64_t ConfusionMatrix::predicted(int64_t digit) const {
  int64_t n = 0;
  for (const auto& row : counts_) n += row[digit];
  return n;
}

double ConfusionMatrix::precision(int64_t digit) const {
  return ratio(counts_[digit][digit], predicted(digit));
}

double ConfusionMatrix::recall(int64_t digit) const {
  return ratio(counts_[digit][digit], support(digit));
}

std::vector<std::pair<int64_t, ConfusionMatrix>> confusion_by(const torch::Tensor& groups,
                                                              const torch::Tensor& labels,
                                                              const torch::Tensor& predicted) {
  const auto g = groups.to(torch::kCPU).to(torch::kInt64).contiguous();
  const auto y = labels.to(torch::kCPU).to(torch::kInt64).contiguous();
  const auto p = predicted.to(torch::kCPU).to(torch::kInt64).contiguous();
  std::map<int64_t, ConfusionMatrix> by;
  for (int64_t i = 0; i < g.numel(); ++i) {
    by[g.data_ptr<int64_t>()[i]].add(y.data_ptr<int64_t>()[i], p.data_ptr<int64_t>()[i]);
  }
  return {by.begin(), by.end()};
}

std::string format_accuracy_line(const ConfusionMatrix& m) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "accuracy=%.6f correct=%lld total=%lld", m.accuracy(),
                static_cast<long long>(m.correct()), static_cast<long long>(m.total()));
  return buf;
}

std::string format_class_table(const ConfusionMatrix& m) {
  const int support_width = std::max<int>(7, static_cast<int>(std::to_string(m.total()).size()));
  std::string s = "digit  precision  recall  " + std::string(support_width - 7, ' ') + "support\n";
  for (int64_t k = 0; k < kClasses; ++k) {
    s += cell(k, 5) + "  " + cell(m.precision(k), 9) + "  " + cell(m.recall(k), 6) + "  " +
         cell(m.support(k), support_width) + "\n";
  }
  return s;
}

std::string format_confusion_matrix(const ConfusionMatrix& m) {
  int64_t largest = 0;
  for (int64_t t = 0; t < kClasses; ++t) {
    for (int64_t p = 0; p < kClasses; ++p) largest = std::max(largest, m.count(t, p));
  }
  const int width = static_cast<int>(std::to_string(largest).size()) + 2;
  std::string s = "confusion matrix (rows: true label, columns: predicted digit)\n";
  s += "true";
  for (int64_t p = 0; p < kClasses; ++p) s += cell(p, width);
  s += "\n";
  for (int64_t t = 0; t < kClasses; ++t) {
    s += cell(t, 4);
    for (int64_t p = 0; p < kClasses; ++p) s += cell(m.count(t, p), width);
    s += "\n";
  }
  return s;
}

std::string format_by_file_and_writer(const std::vector<std::string>& files,
                                      const RowOrigin& origin, const torch::Tensor& labels,
                                      const torch::Tensor& predicted) {
  std::string out;
  char line[128];
  const auto by_file = confusion_by(origin.file, labels, predicted);
  for (const auto& [f, cm] : by_file) {
    const auto in_file = origin.file.eq(f).nonzero().reshape({-1});
    const auto writers = origin.writer.index_select(0, in_file);
    const bool pen = writers.ge(0).any().item<bool>();
    if (by_file.size() == 1 && !pen) continue;
    out += "\nfile=" + files[static_cast<size_t>(f)] + " " + format_accuracy_line(cm) + "\n";
    if (!pen) continue;
    const auto scores =
        confusion_by(writers, labels.index_select(0, in_file), predicted.index_select(0, in_file));
    double worst = 1.0;
    for (const auto& [w, wcm] : scores) {
      out += "writer=" + std::to_string(w) + " " + format_accuracy_line(wcm) + "\n";
      worst = std::min(worst, wcm.accuracy());
    }
    std::snprintf(line, sizeof line, "writers=%zu worst_writer_accuracy=%.6f\n", scores.size(),
                  worst);
    out += line;
  }
  return out;
}

torch::Tensor misread_order(const torch::Tensor& labels, const torch::Tensor& predicted) {
  const auto wrong = predicted.ne(labels).nonzero().reshape({-1});
  const auto key = labels.index_select(0, wrong) * 10 + predicted.index_select(0, wrong);
  return wrong.index_select(
      0, std::get<1>(key.sort(c10::optional<bool>(true), /*dim=*/0, /*descending=*/false)));
}

}  // namespace digits
