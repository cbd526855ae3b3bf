// digit-draw-trace: turns labelled MNIST rows into replay scripts that draw them the way a person
// would, for digit-draw's end-to-end tests. Each digit's ink is thinned to its centre line
// (Zhang-Suen), the centre line is followed as pen strokes, and the strokes are drawn with the
// app's one-width brush at a random size (35-85% of the canvas), place and slant, with a slightly
// shaky hand. Copying pixels would test nothing: the app must read strokes, not scans.
//
// Usage: digit-draw-trace CSV FIRST_ROW COUNT OUT_DIR [SEED]
// Writes OUT_DIR/traced.replay (each digit drawn, then `print`, then `key c`), OUT_DIR/labels.txt
// (one label per line, in order), and OUT_DIR/single-D.replay for the first digit of each label D
// (just the strokes, for --print-prediction at the end).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "digits/data/dataset.h"
#include "digits/data/kaggle_csv.h"

namespace {

constexpr int kUp = 4;  // the 28x28 image is thinned at 4x resolution (112x112)
constexpr int kSide = 28 * kUp;
constexpr int kPointStep = 3;        // one pen position every 3 thinned pixels
constexpr int kMinStrokePixels = 6;  // shorter branches are thinning spurs, not pen strokes

using Grid = std::vector<uint8_t>;  // kSide x kSide, 1 = ink

struct Pt {
  double x, y;
};
using Strokes = std::vector<std::vector<Pt>>;

// Bilinear 4x upsampling and a threshold at half intensity.
Grid upsample(const uint8_t* img) {
  Grid g(kSide * kSide, 0);
  for (int y = 0; y < kSide; ++y) {
    for (int x = 0; x < kSide; ++x) {
      const double sx = (x + 0.5) / kUp - 0.5, sy = (y + 0.5) / kUp - 0.5;
      const int x0 = static_cast<int>(std::floor(sx)), y0 = static_cast<int>(std::floor(sy));
      const double fx = sx - x0, fy = sy - y0;
      auto at = [&](int yy, int xx) -> double {
        return (xx < 0 || yy < 0 || xx >= 28 || yy >= 28) ? 0.0 : img[yy * 28 + xx];
      };
      const double v = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) +
                       fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
      g[y * kSide + x] = v >= 128 ? 1 : 0;
    }
  }
  return g;
}

// Zhang-Suen thinning: peels the ink until a one-pixel centre line is left.
void thin(Grid& g) {
  auto p = [&](int y, int x) -> int {
    return (x < 0 || y < 0 || x >= kSide || y >= kSide) ? 0 : g[y * kSide + x];
  };
  bool changed = true;
  while (changed) {
    changed = false;
    for (int pass = 0; pass < 2; ++pass) {
      std::vector<int> remove;
      for (int y = 0; y < kSide; ++y) {
        for (int x = 0; x < kSide; ++x) {
          if (!g[y * kSide + x]) continue;
          const int n[8] = {p(y - 1, x), p(y - 1, x + 1), p(y, x + 1), p(y + 1, x + 1),
                            p(y + 1, x), p(y + 1, x - 1), p(y, x - 1), p(y - 1, x - 1)};
          int b = 0, a = 0;
          for (int k = 0; k < 8; ++k) {
            b += n[k];
            a += n[k] == 0 && n[(k + 1) % 8] == 1;
          }
          if (b < 2 || b > 6 || a != 1) continue;
          if (pass == 0 && (n[0] * n[2] * n[4] != 0 || n[2] * n[4] * n[6] != 0)) continue;
          if (pass == 1 && (n[0] * n[2] * n[6] != 0 || n[0] * n[4] * n[6] != 0)) continue;
          remove.push_back(y * kSide + x);
        }
      }
      for (int i : remove) g[i] = 0;
      changed = changed || !remove.empty();
    }
  }
}

// Follows the centre line as strokes: from each end point (then from what is left: loops), step
// to an unvisited neighbour, preferring to keep the direction. A stroke that starts beside ink
// already drawn begins at that ink, so junctions stay joined.
Strokes follow(Grid& g) {
  const int dx[8] = {0, 1, 1, 1, 0, -1, -1, -1}, dy[8] = {-1, -1, 0, 1, 1, 1, 0, -1};
  auto ink = [&](int y, int x) {
    return x >= 0 && y >= 0 && x < kSide && y < kSide && g[y * kSide + x] != 0;
  };
  std::vector<uint8_t> visited(kSide * kSide, 0);
  auto degree = [&](int y, int x) {
    int d = 0;
    for (int k = 0; k < 8; ++k) d += ink(y + dy[k], x + dx[k]);
    return d;
  };
  Strokes strokes;
  for (int round = 0; round < 2; ++round) {
    for (int y = 0; y < kSide; ++y) {
      for (int x = 0; x < kSide; ++x) {
        if (!ink(y, x) || visited[y * kSide + x]) continue;
        if (round == 0 && degree(y, x) != 1) continue;  // end points first
        std::vector<std::array<int, 2>> path;
        for (int k = 0; k < 8; ++k) {
          const int ny = y + dy[k], nx = x + dx[k];
          if (ink(ny, nx) && visited[ny * kSide + nx]) {
            path.push_back({ny, nx});
            break;
          }
        }
        int cy = y, cx = x, dir = -1;
        while (true) {
          visited[cy * kSide + cx] = 1;
          path.push_back({cy, cx});
          int best = -1, best_cost = 99;
          for (int k = 0; k < 8; ++k) {
            const int ny = cy + dy[k], nx = cx + dx[k];
            if (!ink(ny, nx) || visited[ny * kSide + nx]) continue;
            const int turn = dir < 0 ? 0 : std::min((k - dir + 8) % 8, (dir - k + 8) % 8);
            const int cost = turn * 2 + (k % 2);  // straight on, then 4-neighbours first
            if (cost < best_cost) {
              best_cost = cost;
              best = k;
            }
          }
          if (best < 0) break;
          dir = best;
          cy += dy[best];
          cx += dx[best];
        }
        if (static_cast<int>(path.size()) < kMinStrokePixels) continue;
        std::vector<Pt> stroke;
        for (size_t i = 0; i < path.size(); i += kPointStep) {
          stroke.push_back({(path[i][1] + 0.5) / kUp, (path[i][0] + 0.5) / kUp});
        }
        if ((path.size() - 1) % kPointStep != 0) {
          stroke.push_back({(path.back()[1] + 0.5) / kUp, (path.back()[0] + 0.5) / kUp});
        }
        strokes.push_back(std::move(stroke));
      }
    }
  }
  return strokes;
}

// Places the strokes (28x28 units) on the canvas (fractions): a random height of 35-85% of the
// canvas, a random place, a slant of up to +-0.2 and a jitter of 0.15 input pixels.
Strokes place(const Strokes& strokes, std::mt19937& rng) {
  double x0 = 1e9, x1 = -1e9, y0 = 1e9, y1 = -1e9;
  for (const auto& s : strokes) {
    for (const auto& p : s) {
      x0 = std::min(x0, p.x), x1 = std::max(x1, p.x), y0 = std::min(y0, p.y),
      y1 = std::max(y1, p.y);
    }
  }
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double height = 0.35 + 0.5 * unit(rng);
  const double shear = (unit(rng) - 0.5) * 0.4;
  const double s = height / std::max(1.0, y1 - y0);
  const double w = std::max(x1 - x0, 1.0) * s + std::abs(shear) * height;
  const double left = 0.06 + unit(rng) * std::max(0.0, 0.88 - w);
  const double top = 0.06 + unit(rng) * std::max(0.0, 0.88 - height);
  std::normal_distribution<double> shake(0.0, 0.15);
  Strokes out;
  for (const auto& stroke : strokes) {
    std::vector<Pt> o;
    for (const auto& p : stroke) {
      const double u = (p.x - x0 + shake(rng)) * s, v = (p.y - y0 + shake(rng)) * s;
      const double x = left + u + shear * (height - v) + (shear < 0 ? -shear * height : 0.0);
      o.push_back({std::clamp(x, 0.0, 1.0), std::clamp(top + v, 0.0, 1.0)});
    }
    out.push_back(std::move(o));
  }
  return out;
}

void write_strokes(std::ostream& out, const Strokes& strokes) {
  char buf[64];
  for (const auto& s : strokes) {
    for (size_t i = 0; i < s.size(); ++i) {
      std::snprintf(buf, sizeof buf, "%s %.4f %.4f\n", i == 0 ? "down" : "move", s[i].x, s[i].y);
      out << buf;
    }
    out << "up\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::cerr << "usage: digit-draw-trace CSV FIRST_ROW COUNT OUT_DIR [SEED]\n";
    return 2;
  }
  const std::string csv = argv[1], dir = argv[4];
  const long first = std::stol(argv[2]), count = std::stol(argv[3]);
  std::mt19937 rng(argc > 5 ? static_cast<unsigned>(std::stoul(argv[5])) : 1u);
  auto data = digits::load_kaggle_csv(csv, {first + count});
  if (!data) {
    std::cerr << data.error().message << "\n";
    return 2;
  }
  if (!data->has_labels() || data->size() < first + count) {
    std::cerr << csv << ": needs " << first + count << " labelled rows\n";
    return 2;
  }
  const auto images = data->images.contiguous();
  const auto labels = data->labels.contiguous();
  std::ofstream traced(dir + "/traced.replay"), label_file(dir + "/labels.txt");
  traced << "# " << count << " digits of " << csv << " from row " << first
         << ", traced along their centre lines\n";
  std::array<bool, 10> single_done{};
  for (long i = first; i < first + count; ++i) {
    Grid g = upsample(images.data_ptr<uint8_t>() + i * 784);
    thin(g);
    const Strokes strokes = place(follow(g), rng);
    const auto label = labels.data_ptr<int64_t>()[i];
    traced << "# row " << i << ": a " << label << "\n";
    write_strokes(traced, strokes);
    traced << "print\nkey c\n";
    label_file << label << "\n";
    if (!single_done[label]) {
      single_done[label] = true;
      std::ofstream single(dir + "/single-" + std::to_string(label) + ".replay");
      single << "# row " << i << " of " << csv << ": a " << label << "\n";
      write_strokes(single, strokes);
    }
  }
  if (!traced || !label_file) {
    std::cerr << dir << ": cannot write the scripts\n";
    return 1;
  }
  return 0;
}
