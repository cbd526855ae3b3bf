// DIGITS_VECTOR_CLONES: an inner loop compiled for AVX-512, AVX2 and the baseline (internal).
//
// The library is built for baseline x86-64; the CPU picks a function's version when the program
// loads. The hand-written kernels (max_pool.cpp, batch_norm_relu.cpp, dropout.cpp) mark their
// loops over channels or elements with it.
#pragma once

#if defined(__GNUC__) && defined(__x86_64__)
#define DIGITS_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define DIGITS_VECTOR_CLONES
#endif
