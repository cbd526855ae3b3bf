#include "digits/train/resume.h"

#include <filesystem>

#include "digits/io/output_file.h"

namespace digits {

Result<Resumption> read_resumption(const std::string& checkpoint_path, bool fine_tune) {
  auto loaded = load_checkpoint(checkpoint_path);
  if (!loaded) return loaded.error();
  auto stored = decode_options(loaded->train_options);
  if (!stored) return Error{checkpoint_path + ": " + stored.error().message};
  Resumption r{std::move(loaded.value()), stored.value(),
               fine_tune ? ResumeMode::kFineTune : ResumeMode::kExact};
  r.config.distributed.world_size = 1;
  // A data file that is not where the run found it is named with where its path came from.
  r.config.data_source = "the --data of the checkpoint's run, " + checkpoint_path;
  std::string dir =
      std::filesystem::path(checkpoint_path).parent_path().lexically_normal().string();
  if (dir.empty()) dir = ".";
  if (fine_tune) dir = (std::filesystem::path(dir) / "fine-tuned").string();
  r.config.checkpoint_dir = dir;
  return r;
}

FolderUse folder_use(const TrainConfig& config, const std::optional<Resumption>& resumed,
                     const std::string& checkpoint_path, bool force) {
  auto same_folder = [](const std::string& a, const std::string& b) {
    const auto ia = file_id(a.empty() ? "." : a), ib = file_id(b.empty() ? "." : b);
    return ia && ib && *ia == *ib;
  };
  const bool own_folder = resumed && resumed->mode == ResumeMode::kExact &&
                          same_folder(std::filesystem::path(checkpoint_path).parent_path().string(),
                                      config.checkpoint_dir);
  if (own_folder) return FolderUse::kContinue;
  return force ? FolderUse::kSetAside : FolderUse::kNewRun;
}

Result<std::string> default_training_data() {
  for (const char* candidate : {"data/train.csv", "data/train.csv.gz", "data/mnist-default.csv"}) {
    if (std::filesystem::is_regular_file(candidate)) return std::string(candidate);
  }
  return Error{
      "no training data: pass --data PATH (Kaggle's train.csv), or run ./setup.sh to fetch the "
      "embedded default (data/mnist-default.csv)"};
}

}  // namespace digits
