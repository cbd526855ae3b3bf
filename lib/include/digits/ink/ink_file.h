// Ink from a file of either format: InkML (inkml.h) or UNIPEN (unipen.h), plain or gzip, told
// apart by their first bytes. What `digit-predict --ink` reads.
#pragma once

#include <string>
#include <vector>

#include "digits/core/error.h"
#include "digits/ink/ink.h"

namespace digits {

// The samples of an InkML or UNIPEN file (load_inkml, load_unipen_ink). A file that is neither
// is an error naming it and the formats that were expected.
Result<std::vector<InkSample>> load_ink(const std::string& path);

}  // namespace digits
