// A contact sheet of read numbers: each number's ink with a box around every digit the reader
// found (the segmentation) and that digit's reading above it, under a caption "TRUE>READ"
// ("-" for no number), to look at what the number reader gets wrong.
#pragma once

#include <string>
#include <vector>

#include "digits/core/error.h"
#include "digits/evaluate/number_reader.h"
#include "digits/ink/ink.h"

namespace digits {

// Writes `samples[i]` as read in `readings[i]` (as many), in rows of `columns`, atomically. With
// no sample it writes one empty tile, so that the file always exists after a run that asked.
Status write_number_sheet(const std::string& path, const std::vector<InkSample>& samples,
                          const std::vector<NumberReading>& readings, int columns = 3);

}  // namespace digits
