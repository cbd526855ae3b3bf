#include "options.h"

#include "cli.h"
#include "options_cli.h"

namespace {

// digit-train's own check of its option `name`, which rewrites the value as digit-train reads it:
// a seed or a fraction means here what it means to the run that used it.
CLI::Validator as_digit_train_reads(const char* name) {
  return digits::cli::table_check(*digits::find_train_option(name), true);
}

}  // namespace

void add_predict_options(CLI::App& app, PredictOptions& o) {
  app.description(
      "Predicts handwritten digits with trained checkpoints.\n"
      "On a Kaggle test-format CSV (pixel0,...,pixel783) it writes the submission file "
      "(ImageId,Label; ImageId counts rows from 1). On labelled data, a train-format CSV "
      "(label,pixel0,...) or a UNIPEN or InkML file of pen strokes (each digit drawn as digit-draw "
      "draws it), it prints accuracy=F, per-class precision and recall and the 10x10 "
      "confusion matrix on stdout, then each file's and each pen writer's accuracy; --out "
      "still writes the predictions, --misread-png draws the misread digits. Several "
      "--checkpoint options form an ensemble: their class probabilities are averaged (each "
      "member's own accuracy is printed too).\n"
      "Real handwriting, e.g. UCI's pen digits of 14 writers:\n"
      "  digit-predict --data pendigits-orig.tes.gz --misread-png misread.png\n"
      "Held-out accuracy: --holdout scores only the rows the checkpoint's training run held out "
      "for validation (the same stratified split digit-train made), e.g.\n"
      "  digit-predict --checkpoint checkpoints/best.pt --csv data/train.csv --holdout\n"
      "--holdout-seed S scores the rows a `digit-train --seed S` (or --split-seed S) run with "
      "--val-fraction F holds out, for checkpoints from elsewhere.\n"
      "Written numbers: --ink reads pen strokes (InkML or UNIPEN) and prints, per file (per "
      "sample in files of several), `PATH number=DIGITS confidence=P` (number=none where the "
      "ink is not a number, then why=REASON, e.g. why=doubted:3 for a third digit read with "
      "less confidence than --min-confidence); on labelled ink it then scores exact numbers, "
      "digits (edit distance) and each writer, and --misread-png draws the misread numbers with "
      "their "
      "segmentation. --compose N reads N numbers composed from the pen digits in the --ink "
      "files instead (docs/numbers.md), e.g. the 14 test writers' numbers:\n"
      "  digit-predict --ink pendigits-orig.tes.gz --compose 3000");
  app.get_formatter()->column_width(30);
  app.add_option("--checkpoint", o.checkpoints,
                 "Checkpoint to predict with; repeat for an ensemble (an ensemble file, written by "
                 "digit-export --ensemble, adds all its members). Default: "
                 "the shipped checkpoints/pretrained.pt, or checkpoints/best.pt where it records "
                 "reading the shipped model's data at least as well");
  app.add_option("--data,--csv", o.csvs,
                 "Kaggle CSV (.csv or .csv.gz, test or train format), UNIPEN pen-digit file or "
                 "InkML file of labelled digits (plain or .gz); repeat to join labelled files, or "
                 "test-format CSVs, in order "
                 "(as digit-train --data does)");
  auto* ink_opt = app.add_option("--ink", o.inks,
                                 "Read the written number in each sample of these InkML or "
                                 "UNIPEN files (plain or .gz), instead of --data digits");
  auto* compose_opt =
      app.add_option("--compose", o.compose,
                     "With --ink UNIPEN digits: read N numbers composed from them instead, "
                     "2-8 digits each, each number of one writer (docs/numbers.md)")
          ->check(CLI::Range(int64_t{1}, int64_t{10000000}))
          ->needs(ink_opt);
  app.add_option("--compose-seed", o.compose_seed, "The composer's seed")
      ->needs(compose_opt)
      ->capture_default_str();
  app.add_option("--min-confidence", o.min_confidence,
                 "With --ink: a number whose least sure digit is read with less confidence than "
                 "this is no number; higher turns more letters and more real numbers into none "
                 "(docs/numbers.md measures both)")
      ->check(CLI::Range(0.0, 1.0))
      ->needs(ink_opt)
      ->capture_default_str();
  app.add_option("--misread-png", o.misread_png,
                 "Labelled data: draw every misread digit, as the network saw it, on a contact "
                 "sheet here (PNG; captions TRUE>READ), atomically")
      ->check(digits::cli::BinaryFile);
  app.add_option("--confusion-png", o.confusion_png,
                 "Labelled data: also draw the confusion matrix as a heat map here (PNG, through "
                 "gnuplot), atomically")
      ->check(digits::cli::BinaryFile);
  app.add_option("--exclude", o.excludes,
                 "Leave out pen digit W:S (writer W's sample S, in every UNIPEN file; with "
                 "--compose, from the digits composed), e.g. the broken samples a corpus "
                 "documents; repeat for more")
      ->type_name("W:S");
  app.add_option("--out", o.out,
                 "Write predictions (ImageId,Label) here, atomically. Default for test-format "
                 "input: submission.csv; none for labelled input")
      ->check(digits::cli::NonEmpty);
  app.add_option("--probabilities", o.probabilities_out,
                 "Also write each image's class probabilities here, atomically: "
                 "ImageId,Label,p0,...,p9 (the ensemble's mean, with --tta the views' mean)")
      ->check(digits::cli::NonEmpty);
  app.add_flag("--tta", o.tta,
               "Test-time augmentation: also predict each image shifted one pixel up, down, "
               "left and right, and average the five (5x the work)");
  app.add_flag("--holdout", o.holdout,
               "Score only the rows the checkpoints' training run held out for validation (its "
               "--val-fraction, --split-seed/--seed and --limit, read from the checkpoint); the "
               "--data files must be that run's --data");
  auto* seed_opt = app.add_option("--holdout-seed", o.holdout_seed,
                                  "Score only the rows a digit-train run with this "
                                  "--seed (or --split-seed) and --val-fraction held out")
                       ->type_name("UINT")
                       ->check(as_digit_train_reads("seed"));
  auto* fraction_opt = app.add_option("--val-fraction", o.val_fraction,
                                      "With --holdout-seed: the run's hold-out share")
                           ->check(as_digit_train_reads("val-fraction"))
                           ->capture_default_str();
  auto* limit_opt =
      app.add_option("--limit", o.limit,
                     "Use only the first N rows (with --holdout-seed: the run's --limit)")
          ->check(as_digit_train_reads("limit"));
  app.add_option("--batch-size", o.batch_size, "Images per forward pass")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20))
      ->capture_default_str();
  app.add_option("--threads", o.threads, "CPU threads (0: one per core)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  app.add_option("--device", o.device_name, "cpu, cuda or cuda:N")->capture_default_str();
  app.add_flag("--quiet,-q", o.quiet, "No progress line");
  app.get_option("--holdout")->excludes(seed_opt)->excludes(limit_opt);
  for (const char* name : {"--data", "--holdout", "--holdout-seed", "--tta", "--out",
                           "--probabilities", "--confusion-png", "--limit"}) {
    ink_opt->excludes(app.get_option(name));
  }
  fraction_opt->needs(seed_opt);
}
