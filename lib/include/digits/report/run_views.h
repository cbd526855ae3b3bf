// What a training run shows besides its lines: DIR/metrics.png redrawn from DIR/metrics.csv after
// every epoch (plot.h, gnuplot) and, with --tensorboard, TensorBoard's event files in TB/RUN/
// (tensorboard.h). Both are views of the run, not its state: one that cannot be drawn or written
// is said once through `warn`, and training goes on.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "digits/core/error.h"
#include "digits/train/trainer.h"

namespace digits {

class EventWriter;

class RunViews {
 public:
  // `checkpoint_dir` is the run's folder; `tensorboard_dir` "" for no events. `warn` receives
  // "...; training goes on without the chart" once per view that fails.
  RunViews(std::string checkpoint_dir, const std::string& tensorboard_dir,
           std::function<void(const std::string&)> warn);
  ~RunViews();

  // TB/RUN, where the events go; "" without --tensorboard. RUN is the checkpoint folder's name.
  const std::string& tensorboard_run() const { return run_dir_; }

  // Before the run starts: TB/RUN is a folder the events can go in, and neither one of the run's
  // own files (DIR/last.pt, ...) or `inputs` nor inside one (compared as files: links followed,
  // any spelling). An Error says which.
  Status check(const std::vector<std::string>& inputs) const;

  // At the start: a new run moves the events of an earlier one in TB/RUN to TB/RUN/`aside`
  // ("previous-<time>" when ""), as the trainer does with DIR's files; a resumed run sends the
  // epochs metrics.csv already holds (TensorBoard drops its own later steps when a run's steps
  // go back, so a redone epoch is not shown twice) and draws the chart of them.
  Status open(bool resumed, std::string aside);

  // After each epoch: its scalars to the events, and the chart redrawn.
  void epoch(const EpochReport& r);

 private:
  void draw();
  void write(const EpochReport& r);
  Status set_aside_events(const std::string& aside);

  std::string dir_, name_, run_dir_;
  std::function<void(const std::string&)> warn_;
  std::unique_ptr<EventWriter> events_;
  bool chart_failed_ = false, events_failed_ = false;
};

}  // namespace digits
