// UNIPEN, the standard text format of on-line handwriting (Guyon et al. 1994): pen strokes as the
// tablet sampled them, and segments that name which strokes make one labelled unit. This reads
// the digits of a UNIPEN file, such as UCI's pen-based digits (pendigits-orig.tra/.tes)
// (parse_unipen), and the numbers of one digit or more (parse_unipen_ink).
//
// What is read, one instruction per line (a keyword starting with '.', then its arguments):
//   .PEN_DOWN / .PEN_UP      the points between them, one "X Y" per line (more columns, such as
//                            time or pressure, are ignored), make one pen-down component; the
//                            components are numbered 0, 1, ... through the whole file. Points
//                            after a .PEN_UP (the pen moving in the air) are read and dropped.
//   .SEGMENT LEVEL DELINEATION QUALITY "LABEL"
//                            one digit: the components DELINEATION names ("3", "6-7",
//                            "2,4-5"), before or after the segment; LABEL is "0".."9" (or, for
//                            parse_unipen_ink, digits: "2024").
//   .WRITER_ID ID            the writer of the segments that follow.
//   .COMMENT L W S           UCI's convention: label L, writer W, sample S of that writer, for
//                            the segment before it (other .COMMENT text is a comment).
// Every other keyword (.INCLUDE, .LEXICON, .HIERARCHY, .DT, .X_DIM, ...) is accepted and has no
// effect. Plain files and gzip-compressed ones (.gz) are read; CRLF line endings too.
//
// Errors are values naming the file and line: "pen.tra:812: point '12 x' is not two numbers".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "digits/core/error.h"
#include "digits/ink/ink.h"

namespace digits {

// A point in the tablet's own units (UCI: 0..500), y growing upwards as in UNIPEN.
struct PenPoint {
  double x = 0;
  double y = 0;
};

// One labelled digit: its pen-down strokes in the order they were written.
struct PenDigit {
  int64_t label = 0;    // 0..9
  int64_t writer = -1;  // the file's writer number (.COMMENT or .WRITER_ID); -1 when unknown
  int64_t sample = -1;  // the writer's sample number (UCI's .COMMENT); -1 when unknown
  int64_t line = 0;     // the .SEGMENT's line in the file, for messages
  std::vector<std::vector<PenPoint>> strokes;
};

// The digits of UNIPEN `text`, in segment order. `name` (the file) starts every error message.
// A file without a digit segment is an error, as is a segment naming no stroke, a stroke that
// does not exist or one already in another digit, a label that is not one digit, and a
// .PEN_DOWN without points.
Result<std::vector<PenDigit>> parse_unipen(std::string_view text, const std::string& name);

// Reads and parses a UNIPEN file, plain or gzip-compressed.
Result<std::vector<PenDigit>> load_unipen(const std::string& path);

// The numbers of UNIPEN `text`: every segment labelled with digits ("7", "2024") is a sample, in
// segment order, its strokes in the order the delineation names them, y turned downwards
// (-y), the writer as parse_unipen finds it ("" when unknown), `where` its .SEGMENT's line. A
// segment whose strokes are all in a segment of more strokes (a DIGIT inside a WORD "2024") is
// a part of that sample rather than a sample; a segment sharing only some strokes with another
// is an error, as is naming a stroke twice. Otherwise the errors of parse_unipen, except that a
// label of several digits is a number here; a file without such a segment is an error.
Result<std::vector<InkSample>> parse_unipen_ink(std::string_view text, const std::string& name);

// Reads and parses a UNIPEN file of numbers, plain or gzip-compressed.
Result<std::vector<InkSample>> load_unipen_ink(const std::string& path);

// Whether `text` (a file's first bytes, decompressed) looks like UNIPEN rather than CSV: its first
// line that is not blank starts with '.' (after a UTF-8 byte-order mark, which the parsers skip).
bool looks_like_unipen(std::string_view text);

// The first bytes of a file, decompressed when it is gzip (up to `n`); "" when it cannot be read.
std::string file_head(const std::string& path, size_t n = 4096);

}  // namespace digits
