// What the launcher checks once, before any worker starts (launcher.h check_before_launching).
#include <algorithm>
#include <string>
#include <thread>

#include "cli.h"
#include "digits/data/training_data.h"
#include "digits/train/distributed.h"
#include "digits/train/resume.h"
#include "launcher.h"
#include "options_cli.h"

namespace {

// Workers per core beyond which a machine only thrashes: each worker is a whole training process.
constexpr int64_t kMaxWorkersPerCore = 4;

}  // namespace

digits::Status check_before_launching(const digits::DistributedConfig& d, int argc, char** argv) {
  using digits::Error;
  const auto cores = static_cast<int64_t>(std::max(1u, std::thread::hardware_concurrency()));
  if (d.nproc_per_node > kMaxWorkersPerCore * cores) {
    return Error{"--nproc-per-node " + std::to_string(d.nproc_per_node) + ": more than " +
                 std::to_string(kMaxWorkersPerCore) + " workers per core of this machine (" +
                 std::to_string(cores) + " cores: at most " +
                 std::to_string(kMaxWorkersPerCore * cores) +
                 "); each worker is a whole training process"};
  }
  CLI::App app{"", kProgram};
  app.allow_extras();
  digits::cli::TrainOptions options(app);
  std::string resume;
  bool fine_tune = false;
  app.add_option("--resume", resume);
  app.add_flag("--fine-tune", fine_tune);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError&) {
    return {};  // main parsed it: nothing here to add
  }
  const int64_t world = d.nnodes * d.nproc_per_node;
  if (options.given("world-size") && d.world_size != world) {
    return Error{"--world-size " + std::to_string(d.world_size) + " contradicts --nnodes " +
                 std::to_string(d.nnodes) + " x --nproc-per-node " +
                 std::to_string(d.nproc_per_node) + " (" + std::to_string(world) +
                 " processes); leave --world-size out: the launcher sets it"};
  }
  for (const char* each : {"rank", "local-rank"}) {
    if (options.given(each)) {
      return Error{std::string("--") + each +
                   " is set by the launcher for each worker; leave it out with --nproc-per-node"};
    }
  }
  digits::TrainConfig c;
  if (!resume.empty()) {
    auto r = digits::read_resumption(resume, fine_tune);
    if (!r) return r.error();
    c = r->config;
  }
  DIGITS_RETURN_IF_ERROR(options.apply(c));
  if (c.data_paths.empty()) {
    auto found = digits::default_training_data();
    if (!found) return found.error();
    c.data_paths.push_back(*found);
  }
  DIGITS_RETURN_IF_ERROR(digits::check_data_files(c.data_paths, c.data_source));
  DIGITS_RETURN_IF_ERROR(digits::check_options(c));
  if (d.node_rank == 0) DIGITS_RETURN_IF_ERROR(digits::check_store_port(d.master_port));
  return {};
}
