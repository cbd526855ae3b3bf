// Tests of the metrics log a run writes (train/metrics_log.h, read back by
// digits/train/trainer.h's read_metrics_log): whole rows or none.
#include "train/metrics_log.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <string>

#include "digits/train/trainer.h"
#include "test_util.h"

namespace digits {
namespace {

using testing::TempDir;

// The log of epochs is appended a whole row at a time: a write cut short (a file-size limit here,
// a full disk alike) is taken back, and the log reads as before, never with half a row.
TEST(MetricsLog, ARowCutShortIsTakenBackAndTheLogStillReads) {
  TempDir dir;
  const detail::MetricsLog log(dir.file("metrics.csv"));
  ASSERT_TRUE(log.append({1, 0.5, 0.4, 0.9, 0.001, 1000, 2, true}));
  const std::string before = testing::read_file(log.path());
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{before.size() + 20, before.size() + 20};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    const Status st = log.append({2, 0.25, 0.3, 0.95, 0.0005, 1000, 2, true});
    ::_exit(!st && st.error().message.find("nothing was added") != std::string::npos ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the append must fail and say that nothing was added";
  EXPECT_EQ(testing::read_file(log.path()), before);
  auto rows = read_metrics_log(log.path());
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().epoch, 1);
}

}  // namespace
}  // namespace digits
