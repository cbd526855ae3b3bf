// Messages that say what is wrong and where it came from, tested on the real programs: one line
// naming the source, never a misleading one; what no run could have written or no command can
// mean is refused naming it; out of memory is exit 1 with one line naming what was being done.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "digits/train/distributed.h"
#include "pen_digits.h"
#include "programs.h"
#include "test_util.h"

namespace digits {
namespace {

namespace fs = std::filesystem;
using testing::command;
using testing::expect_exit;
using testing::file_with;
using testing::kPredict;
using testing::kTrain;
using testing::Outcome;
using testing::run;
using testing::sample_csv;
using testing::synthetic_unipen;
using testing::TempDir;
using testing::write_file;

// ---------------------------------------------------------------------------------------------
// Messages that say what is wrong and where it came from: one line naming its source, never a
// misleading one (a BOM taken for a bad Kaggle header, a path from a checkpoint shown as if the
// user had typed it, a busy port as a timeout, an integer too large as "not an integer", "-"
// suggested where "-" is refused).

// How a case runs: its command, where, and what must stay open meanwhile; `skip` says why not.
struct MessageRun {
  std::vector<std::string> argv;
  std::string working_dir;
  std::shared_ptr<void> hold;
  std::string skip;
};

struct MessageCase {
  std::string name;
  std::function<MessageRun(const std::string& dir)> make;
  int code;                           // the exit code
  std::vector<std::string> needles;   // in stderr
  std::vector<std::string> misleads;  // never in stderr
};

void PrintTo(const MessageCase& c, std::ostream* os) { *os << c.name; }

// A TCP port another program listens on (on every address), held until the returned handle goes.
std::pair<int, std::shared_ptr<void>> busy_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  a.sin_port = 0;
  socklen_t size = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(fd, 4) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &size) != 0) {
    if (fd >= 0) ::close(fd);
    return {-1, nullptr};
  }
  return {ntohs(a.sin_port), std::shared_ptr<void>(nullptr, [fd](void*) { ::close(fd); })};
}

std::vector<MessageCase> message_cases() {
  const std::string tiny = "--limit 50 --epochs 1 --width 4 --batch-size 8 --threads 1 --quiet";
  return {
      {"unipen_with_a_byte_order_mark",
       [](const std::string& d) {
         const std::string path =
             file_with(d, "bom.tes", "\xEF\xBB\xBF" + synthetic_unipen(3, 2, 5));
         return MessageRun{
             command(kPredict, "--threads 1 --quiet",
                     {"--checkpoint", testing::program_inputs().checkpoint, "--data", path}),
             "", nullptr, ""};
       },
       0,
       {"loaded 30 rows"},
       {"header"}},
      {"data_path_read_from_a_checkpoint",
       [tiny](const std::string& d) {
         fs::create_directories(d + "/first");
         fs::create_directories(d + "/elsewhere");
         file_with(d + "/first", "d.csv", sample_csv(60));
         testing::ChildOptions in_first;
         in_first.working_dir = d + "/first";
         const Outcome trained =
             run(command(kTrain, tiny, {"--data", "d.csv", "--checkpoint-dir", d + "/ck"}),
                 d + "/train", in_first);
         EXPECT_EQ(trained.code, 0) << trained.describe();
         return MessageRun{command(kTrain, "--threads 1 --quiet", {"--resume", d + "/ck/last.pt"}),
                           d + "/elsewhere", nullptr, ""};
       },
       2,
       {"d.csv (the --data of the checkpoint's run, ", "/ck/last.pt): no such file"},
       {}},
      {"busy_port",
       [tiny](const std::string& d) {
         if (!distributed_compiled_in()) {
           return MessageRun{{}, "", nullptr, "distributed training is not compiled in"};
         }
         auto [port, hold] = busy_port();
         if (port < 0) return MessageRun{{}, "", nullptr, "no TCP port to hold"};
         return MessageRun{
             command(kTrain, tiny + " --nproc-per-node 2 --master-port " + std::to_string(port),
                     {"--data", testing::mnist_sample_path(), "--checkpoint-dir", d + "/ck"}),
             "", hold, ""};
       },
       2,
       {"is in use on this machine", "--master-port"},
       {"within --dist-timeout", "rank 1", "[W ", "socket"}},
      {"integer_out_of_range_train",
       [](const std::string& d) {
         return MessageRun{
             command(kTrain, "--epochs 99999999999999999999", {"--checkpoint-dir", d + "/ck"}), "",
             nullptr, ""};
       },
       2,
       {"--epochs", "out of range"},
       {"not an integer"}},
      {"integer_out_of_range_predict",
       [](const std::string& d) {
         return MessageRun{
             command(kPredict, "--holdout-seed 18446744073709551616", {"--data", d + "/x.csv"}), "",
             nullptr, ""};
       },
       2,
       {"--holdout-seed", "out of range"},
       {"not an integer"}},
      {"dash_for_an_onnx_model",
       [](const std::string& d) {
         return MessageRun{command(testing::kExport, "--onnx -", {"--checkpoint", d + "/m.pt"}), "",
                           nullptr, ""};
       },
       2,
       {"--onnx", "standard output"},
       {"or - for"}},
      {"fifo_for_a_png",
       [](const std::string& d) {
         ::mkfifo((d + "/fifo.png").c_str(), 0644);
         return MessageRun{
             command(kPredict, "--quiet",
                     {"--checkpoint", testing::program_inputs().checkpoint, "--data",
                      testing::program_inputs().csv, "--misread-png", d + "/fifo.png"}),
             "", nullptr, ""};
       },
       2,
       {"--misread-png", "a FIFO", "name a regular file"},
       {"or - for"}},
      {"dash_for_data",
       [tiny](const std::string& d) {
         return MessageRun{command(kTrain, tiny, {"--data", "-", "--checkpoint-dir", d + "/ck"}),
                           "", nullptr, ""};
       },
       2,
       {"-: standard input is not read as data"},
       {"or - for", "no such file"}},
  };
}

// Runs the case: its exit code and message, no misleading words, and one error line at most.
void expect_message(const MessageCase& c) {
  TempDir dir;
  const MessageRun r = c.make(dir.path());
  if (!r.skip.empty()) GTEST_SKIP() << r.skip;
  testing::ChildOptions where;
  where.working_dir = r.working_dir;
  const Outcome o = run(r.argv, dir.file("log"), where);
  expect_exit(o, c.code, c.needles);
  for (const auto& m : c.misleads) EXPECT_EQ(o.err.find(m), std::string::npos) << m << o.describe();
  // One error line at most, from the program itself (a usage line may follow it).
  const std::string program = fs::path(r.argv[0]).filename().string() + ": ";
  size_t lines = 0;
  for (size_t at = 0; (at = o.err.find(program, at)) != std::string::npos; ++at) {
    lines += at == 0 || o.err[at - 1] == '\n';
  }
  EXPECT_LE(lines, 1u) << o.describe();
}

class ClearMessage : public ::testing::TestWithParam<MessageCase> {};

TEST_P(ClearMessage, NamesWhereTheProblemCameFromOnOneLine) { expect_message(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Messages, ClearMessage, ::testing::ValuesIn(message_cases()),
                         [](const auto& info) { return info.param.name; });

// ---------------------------------------------------------------------------------------------
// What no run could have written and no command can mean is refused, naming it: a checkpoint's
// progress edited past what its run's options and data allow (by digit-train --resume and, where
// the metadata alone tells, digit-predict); an image or a model sent to standard output, where it
// would mix with what the program prints; a --world-size or --rank that the launcher sets itself.

// The tiny run's checkpoint (one epoch of 200 rows in batches of 16) with its progress edited.
std::string edited_progress(const std::string& dir, const std::function<void(RunProgress&)>& edit) {
  auto c = load_checkpoint(testing::program_inputs().checkpoint);
  EXPECT_TRUE(c) << c.error().message;
  edit(c->progress);
  const std::string path = dir + "/edited.pt";
  EXPECT_TRUE(save_checkpoint(path, *c));
  return path;
}

MessageRun resume(const std::string& checkpoint) {
  return MessageRun{command(kTrain, "--threads 1 --quiet", {"--resume", checkpoint}), "", nullptr,
                    ""};
}

MessageRun launcher(const std::string& dir, const std::string& options) {
  if (!distributed_compiled_in()) {
    return MessageRun{{}, "", nullptr, "distributed training is not compiled in"};
  }
  return MessageRun{
      command(kTrain, "--limit 50 --epochs 1 --width 4 --threads 1 --quiet " + options,
              {"--data", testing::mnist_sample_path(), "--checkpoint-dir", dir + "/ck"}),
      "", nullptr, ""};
}

std::vector<MessageCase> impossible_cases() {
  return {
      {"resume_epoch_past_the_runs_epochs",
       [](const std::string& d) {
         return resume(edited_progress(d, [](RunProgress& p) { p.epoch = 50; }));
       },
       2,
       {"epoch=50", "train.epochs=1"},
       {}},
      {"predict_epoch_past_the_runs_epochs",
       [](const std::string& d) {
         return MessageRun{
             command(kPredict, "--threads 1 --quiet",
                     {"--checkpoint", edited_progress(d, [](RunProgress& p) { p.epoch = 50; }),
                      "--csv", testing::program_inputs().csv}),
             "", nullptr, ""};
       },
       2,
       {"epoch=50"},
       {}},
      {"resume_a_million_batches_into_an_epoch",
       [](const std::string& d) {
         return resume(edited_progress(d, [](RunProgress& p) {
           p.epoch = 0;
           p.batch_in_epoch = 1000000;
           p.epoch_samples = 16;
         }));
       },
       2,
       {"batch_in_epoch=1000000"},
       {}},
      {"resume_one_batch_past_the_epoch",  // 180 training rows: 12 batches of 16, not 13
       [](const std::string& d) {
         return resume(edited_progress(d, [](RunProgress& p) {
           p.epoch = 0;
           p.batch_in_epoch = 13;
           p.epoch_samples = 13 * 16;
         }));
       },
       2,
       {"batch_in_epoch=13", "batches"},
       {}},
      {"resume_images_without_batches",
       [](const std::string& d) {
         return resume(edited_progress(d, [](RunProgress& p) { p.epoch_samples = 64; }));
       },
       2,
       {"epoch_samples=64", "batch_in_epoch=0"},
       {}},
      {"misread_png_to_standard_output",
       [](const std::string&) {
         return MessageRun{command(kPredict, "--misread-png -",
                                   {"--checkpoint", testing::program_inputs().checkpoint, "--data",
                                    testing::mnist_sample_path()}),
                           "", nullptr, ""};
       },
       2,
       {"--misread-png", "standard output"},
       {}},
      {"confusion_png_to_standard_output",
       [](const std::string&) {
         return MessageRun{command(kPredict, "--confusion-png /dev/stdout",
                                   {"--checkpoint", testing::program_inputs().checkpoint, "--data",
                                    testing::mnist_sample_path()}),
                           "", nullptr, ""};
       },
       2,
       {"--confusion-png", "standard output"},
       {}},
      {"ensemble_to_standard_output",
       [](const std::string&) {
         return MessageRun{command(testing::kExport, "--ensemble -",
                                   {"--checkpoint", testing::program_inputs().checkpoint}),
                           "", nullptr, ""};
       },
       2,
       {"--ensemble", "standard output"},
       {}},
      {"screenshot_to_standard_output",
       [](const std::string& d) {
         if (!fs::exists(testing::kDraw)) {
           return MessageRun{{}, "", nullptr, "digit-draw is not built (DIGITS_BUILD_DRAW=OFF)"};
         }
         write_file(d + "/stroke.replay", "down 0.5 0.2\nup\n");
         return MessageRun{command(testing::kDraw, "--exit-after-replay --screenshot -",
                                   {"--replay", d + "/stroke.replay"}),
                           "", nullptr, ""};
       },
       2,
       {"--screenshot", "standard output"},
       {}},
      {"world_size_against_the_launcher",
       [](const std::string& d) { return launcher(d, "--nproc-per-node 2 --world-size 3"); },
       2,
       {"--world-size 3 contradicts", "--nproc-per-node 2"},
       {"rank 0", "rank 1"}},
      {"rank_given_to_the_launcher",
       [](const std::string& d) { return launcher(d, "--nproc-per-node 2 --rank 1"); },
       2,
       {"--rank is set by the launcher"},
       {"rank 0", "rank 1"}},
  };
}

class Contradiction : public ::testing::TestWithParam<MessageCase> {};

TEST_P(Contradiction, IsRefusedNamingWhatCannotBe) { expect_message(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Impossible, Contradiction, ::testing::ValuesIn(impossible_cases()),
                         [](const auto& info) { return info.param.name; });

// ---------------------------------------------------------------------------------------------
// More than the machine has

// Out of memory is exit 1 with one line naming what was being done. The address space is capped
// (RLIMIT_AS) so that a batch of 2,700 wide images cannot be allocated. AddressSanitizer reserves
// terabytes of address space for itself, so under it the cap cannot be set.
TEST(OutOfMemory, IsExit1WithOneLineNamingWhatWasBeingDone) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "RLIMIT_AS cannot be used under AddressSanitizer";
#else
  TempDir dir;
  testing::ChildOptions limited;
  limited.max_memory_bytes = rlim_t{3} << 30;
  const Outcome o =
      run(command(kTrain, "--limit 3000 --epochs 1 --width 128 --batch-size 2700 --threads 1",
                  {"--data", testing::mnist_sample_path(), "--checkpoint-dir", dir.file("ck")}),
          dir.file("log"), limited);
  expect_exit(o, 1, {"out of memory while training"});
  EXPECT_EQ(o.err.find("terminate"), std::string::npos) << o.describe();
#endif
}

}  // namespace
}  // namespace digits
