// Kaggle "Digit Recognizer" submission files: header `ImageId,Label`, then one row per image,
// ImageId counting the rows of the input file from 1. Also the same rows with the ten class
// probabilities, for blending with other models or studying errors.
#pragma once

#include <torch/types.h>

#include <string>

#include "digits/core/error.h"

namespace digits {

// The submission text for predicted digits [N] (any integer type): ImageId 1..N, or
// `image_ids` [N] (1-based rows of the input, e.g. when only held-out rows were predicted).
std::string format_submission(const torch::Tensor& digits, const torch::Tensor& image_ids = {});

// Writes format_submission(...) to `path` atomically (temporary file beside it, flushed to disk,
// renamed over it): a failure leaves any previous file at `path` as it was.
Status write_submission(const std::string& path, const torch::Tensor& digits,
                        const torch::Tensor& image_ids = {});

// Class probabilities [N, 10] as text: header `ImageId,Label,p0,...,p9`, then per image its id
// (as format_submission), the most likely digit and the ten probabilities with 6 decimals.
std::string format_probabilities(const torch::Tensor& probabilities,
                                 const torch::Tensor& image_ids = {});

// Writes format_probabilities(...) to `path`, atomically like write_submission.
Status write_probabilities(const std::string& path, const torch::Tensor& probabilities,
                           const torch::Tensor& image_ids = {});

}  // namespace digits
