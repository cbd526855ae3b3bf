// Portable, seeded randomness: the same numbers on every machine and standard library.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace digits {

// Mixes several integers into one well-spread 64-bit seed (splitmix64 finaliser).
uint64_t mix_seed(uint64_t a, uint64_t b = 0, uint64_t c = 0);

// A permutation of 0..n-1 by Fisher-Yates over mt19937_64, which the standard fully specifies.
std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed);

}  // namespace digits
