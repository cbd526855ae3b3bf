// A contact sheet: many 28x28 network inputs in one PNG, each under a caption "TRUE>READ" (the
// label in green, what the network read in red), to look at what a model gets wrong.
#pragma once

#include <torch/types.h>

#include <string>

#include "digits/core/error.h"

namespace digits {

struct ContactSheetStyle {
  int columns = 16;
  int zoom = 3;  // screen pixels per input pixel
};

// Writes `images` (uint8 [N, 28, 28], 255 ink) as dark ink on white tiles in rows of `columns`,
// captioned with `labels` and `predicted` (int64 [N]), atomically. With no image it writes one
// blank tile, so that the file always exists after a run that asked for it.
Status write_contact_sheet(const std::string& path, const torch::Tensor& images,
                           const torch::Tensor& labels, const torch::Tensor& predicted,
                           const ContactSheetStyle& style = {});

}  // namespace digits
