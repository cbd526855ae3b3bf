// Ink from a file of either format: InkML (inkml.h) or UNIPEN (unipen.h), plain or gzip, told
// apart by their first bytes. What `digit-predict --ink` reads.
#pragma once

#include <string>
#include <vector>

#include "digits/core/error.h"
#include "digits/ink/ink.h"
#include "digits/ink/unipen.h"

namespace digits {

// The samples of an InkML or UNIPEN file (load_inkml, load_unipen_ink). A file that is neither
// is an error naming it and the formats that were expected.
Result<std::vector<InkSample>> load_ink(const std::string& path);

// The labelled digits of `samples`, in order, as pen digits to train and score on (pen.h draws
// them): a sample labelled with one digit is one; of a sample labelled otherwise (a number), each
// part labelled with one digit (an InkML <traceGroup>, a UNIPEN digit segment inside a number).
// Points keep their units, y turned upwards as PenDigit has it; the writer is the sample's when it
// is a whole number (else -1), `line` the line of the sample's element. Ink that is unlabelled,
// or labelled with something else (a word, a number not segmented into digits), gives nothing.
std::vector<PenDigit> labelled_digits(const std::vector<InkSample>& samples);

// The labelled digits of an ink file: a UNIPEN file of digits as load_unipen reads it (with UCI's
// sample numbers), any other ink file as load_ink then labelled_digits read it (InkML, UNIPEN
// files of numbers with digit segments); a file that has none is an error naming it.
Result<std::vector<PenDigit>> load_ink_digits(const std::string& path);

}  // namespace digits
