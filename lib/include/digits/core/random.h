// Portable, seeded randomness: the same numbers on every machine and standard library.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace digits {

// Mixes several integers into one well-spread 64-bit seed (splitmix64 finaliser).
uint64_t mix_seed(uint64_t a, uint64_t b = 0, uint64_t c = 0);

// A permutation of 0..n-1 by Fisher-Yates over mt19937_64, which the standard fully specifies.
std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed);

// Uniform and normal numbers over mt19937_64 with the distributions written out (the standard
// library's distributions differ between libraries): the same seed, the same numbers everywhere.
// What bent pen digits (ink/pen.h) and composed numbers (ink/compose.h) draw from.
class SeededDraws {
 public:
  explicit SeededDraws(uint64_t seed) : rng_(seed) {}
  // [0, 1), from the top 53 bits of one draw.
  double uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // A standard normal number (Box-Muller, two uniforms each).
  double normal() {
    constexpr double kTwoPi = 6.28318530717958647692;
    const double u = 1 - uniform(), v = uniform();
    return std::sqrt(-2 * std::log(u)) * std::cos(kTwoPi * v);
  }
  // 0..n-1 (n > 0).
  size_t index(size_t n) { return static_cast<size_t>(uniform() * static_cast<double>(n)) % n; }

 private:
  std::mt19937_64 rng_;
};

}  // namespace digits
