#include "digits/ink/ink_file.h"

#include <filesystem>

#include "digits/ink/inkml.h"
#include "digits/ink/unipen.h"

namespace digits {

Result<std::vector<InkSample>> load_ink(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Error{path + ": no such file", ErrorKind::kBadInput};
  }
  if (std::filesystem::is_directory(path, ec)) {
    return Error{path + ": is a folder, not an ink file", ErrorKind::kBadInput};
  }
  const std::string head = file_head(path);
  if (looks_like_inkml(head)) return load_inkml(path);
  if (looks_like_unipen(head)) return load_unipen_ink(path);
  return Error{path + ": neither InkML (<ink> XML) nor UNIPEN (lines of .KEYWORDs)",
               ErrorKind::kBadInput};
}

}  // namespace digits
