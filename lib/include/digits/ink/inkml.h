// InkML, the W3C's XML format of digital ink (https://www.w3.org/TR/InkML/, 2011): pen traces,
// the channels they sample, and groups that name what was written. This reads the ink and its
// truth, such as a written number and its digits, into InkSamples (ink.h).
//
// What is read (elements are matched on their local name, with or without the InkML namespace
// or a prefix such as inkml:ink):
//   <ink>                    the root; its <annotation type="truth"> labels the whole document
//                            and <annotation type="writer"> names the writer.
//   <traceFormat>            its <channel name=...>s in any order, directly or in
//                            <regularChannels>, and those of <intermittentChannels>, which a
//                            point may leave out at its end. X and Y are the ink; every other
//                            channel (T, F, OA, ...) is read and dropped. Without one, a trace is
//                            "X Y". A traceFormat directly in <ink> applies to the traces after
//                            it; one in <definitions>, a <context> or an <inkSource> applies where
//                            a contextRef (or traceFormatRef) names it.
//   <trace>                  points separated by ',', values by white space or by a sign or
//                            prefix; the prefixes ! (explicit), ' (first difference) and
//                            " (second difference) hold for that channel until another one.
//                            Numbers may have a sign, decimals, an exponent, or be #hex; T, F,
//                            * and ? are read in channels other than X and Y. A trace of
//                            type="penUp" is read and is not ink.
//   <traceGroup>             nested groups of traces; <annotation type="truth"> labels one, and
//                            its <annotation type="writer"> overrides the document's.
//   <traceView>              traceDataRef="#id" (or "id") takes a trace, group or view defined
//                            elsewhere; from/to are ignored (the whole of it is taken).
// <annotationXML>, <brush>, <timestamp>, <canvas> and other elements are accepted and ignored.
//
// The samples: a document with a truth is ONE sample with that label, all its traces as strokes
// in document order, and its innermost labelled traceGroups as parts. Otherwise each outermost
// labelled traceGroup is a sample (the traces it holds or views, in document order), its
// innermost labelled groups within as parts. A document with no labelled group is one unlabelled
// sample of all its traces.
//
// Errors are values naming the file and line: "n.inkml:14: trace 't3' point 2 has 1 value, but
// its format has 2 channels (X Y)". Plain files and gzip-compressed ones are read, in UTF-8.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "digits/core/error.h"
#include "digits/ink/ink.h"

namespace digits {

// The samples of InkML `text`. `name` (the file) starts every error message. Errors: XML that is
// not well-formed, a root that is not <ink>, no trace, a reference to an unknown traceFormat,
// context or trace, a traceView that leads back to itself, an id given twice, a value that is not
// a finite number, a point with too few or too many values, a trace without points, a labelled
// group without ink, and over 1,000,000 points or 32 MiB in one file.
Result<std::vector<InkSample>> parse_inkml(std::string_view text, const std::string& name);

// Reads and parses an InkML file, plain or gzip-compressed.
Result<std::vector<InkSample>> load_inkml(const std::string& path);

// `samples` as one InkML document that parse_inkml reads back: every stroke a <trace> of "X Y"
// points (xml:id "tN"), and each sample an outer <traceGroup> with its truth and writer and, for
// each part, an inner group with the part's label viewing its traces (<traceView>). Numbers are
// written with up to 6 decimals. Text labels and writers are escaped.
std::string inkml_text(const std::vector<InkSample>& samples);

// Writes inkml_text(samples) to `path`, atomically.
Status write_inkml(const std::string& path, const std::vector<InkSample>& samples);

// Whether `head` (a file's first bytes, decompressed) looks like XML or InkML rather than UNIPEN
// or CSV: its first text after any byte-order mark and white space is "<?xml" or an <ink> tag.
bool looks_like_inkml(std::string_view head);

}  // namespace digits
