// Charts, drawn by gnuplot (Debian: gnuplot-nox), which runs as a separate program: a run's
// training curves (digit-train's DIR/metrics.png) and a confusion matrix (digit-predict
// --confusion-png). Each is a PNG written atomically. Errors name the PNG and say what went
// wrong, a missing gnuplot included.
#pragma once

#include <string>

#include "digits/core/error.h"
#include "digits/evaluate/metrics.h"

namespace digits {

// The plotting program: $DIGITS_GNUPLOT when set (tests point it elsewhere), else "gnuplot".
std::string gnuplot_program();

// The curves of a run from its metrics.csv (trainer.h: a header, then one row per epoch):
// training and validation loss, validation accuracy with the best epoch marked, the learning
// rate and the training speed, each against epochs, in four labelled panels under `title`.
// An Error when the file has no epoch yet or is not a metrics.csv.
Status plot_metrics(const std::string& metrics_csv, const std::string& png,
                    const std::string& title);

// A heat map of the matrix: a row per true digit, a column per prediction, each cell's count
// written in it and its colour the count's share of the row on a log scale, so that a few
// misreads show beside a full diagonal. Empty cells stay white.
Status plot_confusion(const ConfusionMatrix& m, const std::string& png, const std::string& title);

}  // namespace digits
