// The Kaggle CSV reader behind load_kaggle_csv: one thread for streams and gzip files, several
// threads each parsing its own byte ranges of a plain file (fast-cpp-csv-parser's LineReader).
#include "data/csv_reader.h"

// fast-cpp-csv-parser copies file names with strncpy, which GCC flags; the copy is bounded.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-truncation"
#include <libfccp/csv.h>
#pragma GCC diagnostic pop
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <torch/torch.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "data/csv_rows.h"
#include "digits/core/random.h"
#include "io/gz_read.h"

namespace digits {

namespace {

// Below this size a file is parsed by one thread: starting a second costs more than it saves.
constexpr int64_t kParallelMinBytes = 4 << 20;
constexpr unsigned kMaxLoadThreads = 8;
// At most this much per LineReader: it reads up to 32 MB when it starts, the rest in blocks.
constexpr int64_t kMaxPartBytes = 30 << 20;
// How far ahead of the first split point the format sniffer and the split search look.
constexpr size_t kPeekBytes = 1 << 16;

// LineReader hands out lines as C strings, so a line that begins with NUL bytes (a block zeroed
// by a crash) would read as a blank line and be skipped, shifting every later row. Every NUL
// becomes DEL (0x7f), which no Kaggle CSV holds either: the row parser names such a line.
void unmask_nul_bytes(char* bytes, int size) {
  char* const end = bytes + size;
  for (char* p = bytes; (p = static_cast<char*>(std::memchr(p, '\0', end - p))) != nullptr;) {
    *p++ = detail::kNulStandIn;
  }
}

// Feeds fast-cpp-csv-parser's LineReader from zlib, which reads gzip and plain files alike.
class GzByteSource : public io::ByteSourceBase {
 public:
  explicit GzByteSource(gzFile file) : file_(file) {}
  ~GzByteSource() override { gzclose(file_); }
  int read(char* buffer, int size) override {
    const auto r = detail::gz_read(file_, buffer, static_cast<unsigned>(size));
    if (!r.problem.empty()) throw std::runtime_error(r.problem);
    unmask_nul_bytes(buffer, r.bytes);
    return r.bytes;
  }

 private:
  gzFile file_;
};

// Asks the kernel for 2 MB pages under fresh memory about to be filled (a LineReader's buffer,
// the images): a few dozen page faults instead of thousands; loading train.csv spent about a
// third of its time in the kernel, mostly faulting those buffers in 4 KB at a time.
void back_with_huge_pages(void* p, size_t size) {
  constexpr uintptr_t kHuge = 2 << 20;
  const auto begin = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  const auto end = (reinterpret_cast<uintptr_t>(p) + size) & ~(kHuge - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

// Feeds a LineReader one byte range of a plain file, so that threads can each read their own
// part straight from the page cache (no copy of the whole file in memory).
class FileRangeByteSource : public io::ByteSourceBase {
 public:
  FileRangeByteSource(int fd, int64_t begin, int64_t end) : fd_(fd), pos_(begin), end_(end) {}
  int read(char* buffer, int size) override {
    back_with_huge_pages(buffer, size);
    // LineReader takes a short read for the end of the data, so fill the request in full.
    int done = 0;
    while (done < size && pos_ < end_) {
      const auto want = static_cast<size_t>(std::min<int64_t>(size - done, end_ - pos_));
      const ssize_t n = ::pread(fd_, buffer + done, want, pos_);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw std::runtime_error(std::string("read failed: ") + std::strerror(errno));
      if (n == 0) throw std::runtime_error("file shrank while being read");
      done += static_cast<int>(n);
      pos_ += n;
    }
    unmask_nul_bytes(buffer, done);
    return done;
  }

 private:
  int fd_;
  int64_t pos_, end_;
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Rows parsed so far, in malloc'd buffers that a tensor can adopt without a copy.
struct RowBuffer {
  uint8_t* pixels = nullptr;
  int64_t* labels = nullptr;
  int64_t capacity = 0;  // rows
  int64_t size = 0;      // rows

  RowBuffer() = default;
  RowBuffer(const RowBuffer&) = delete;
  RowBuffer& operator=(const RowBuffer&) = delete;
  ~RowBuffer() {
    std::free(pixels);
    std::free(labels);
  }
  // Grows to hold `rows`; false when memory is short.
  bool reserve(int64_t rows) {
    if (rows <= capacity) return true;
    auto* p = static_cast<uint8_t*>(std::realloc(pixels, static_cast<size_t>(rows * kPixels)));
    if (p == nullptr) return false;
    pixels = p;
    auto* l = static_cast<int64_t*>(std::realloc(labels, static_cast<size_t>(rows) * 8));
    if (l == nullptr) return false;
    labels = l;
    capacity = rows;
    return true;
  }
};

// Where one thread writes its rows: a window of a RowBuffer. Grows only when it is the whole
// buffer (the single-threaded reader of a stream whose length is unknown).
struct RowSink {
  RowBuffer* buffer;
  int64_t first;     // row index of this window in `buffer`
  int64_t capacity;  // rows; -1: the whole buffer, growing as needed
  int64_t rows = 0;

  uint8_t* slot() {
    if (capacity >= 0) return rows < capacity ? buffer->pixels + (first + rows) * kPixels : nullptr;
    if (rows >= buffer->capacity && !buffer->reserve(std::max<int64_t>(1024, 2 * rows))) {
      return nullptr;
    }
    return buffer->pixels + rows * kPixels;
  }
  void commit(int64_t label) { buffer->labels[first + rows++] = label; }
};

Error at(const std::string& path, int64_t line, const std::string& what) {
  return Error{path + ":" + std::to_string(line) + ": " + what};
}

// What one thread found in its part of the file.
struct PartResult {
  int64_t lines = 0;  // lines read (all of them when `problem` is empty)
  bool saw_header = false;
  bool labelled = false;     // the format the rows were parsed as
  std::string problem;       // empty: fine
  int64_t problem_line = 0;  // 1-based within the part; 0: not tied to a line
  int64_t rows_before_problem = 0;
};

// Adopts `rows` rows of `buffer` as the dataset's tensors (no copy).
Dataset adopt(RowBuffer& buffer, int64_t rows, bool labelled) {
  Dataset data;
  // Give back the unused tail (realloc of a large block shrinks its mapping in place).
  if (auto* p = static_cast<uint8_t*>(
          std::realloc(buffer.pixels, static_cast<size_t>(std::max<int64_t>(1, rows) * kPixels)))) {
    buffer.pixels = p;
  }
  data.images = torch::from_blob(
      buffer.pixels, {rows, kImageSide, kImageSide}, [](void* p) { std::free(p); }, torch::kUInt8);
  buffer.pixels = nullptr;
  if (labelled) {
    data.labels = torch::from_blob(buffer.labels, {rows}, torch::kInt64).clone();
  }
  return data;
}

// Reads one part of a file into `sink`; any exception becomes the part's problem.
void read_part(const std::string& path, std::unique_ptr<io::ByteSourceBase> source, bool first_part,
               bool labelled, int64_t limit, RowSink& sink, PartResult& out) {
  out.labelled = labelled;
  std::unique_ptr<io::LineReader> reader;
  auto fail = [&](std::string problem) {
    out.problem = std::move(problem);
    out.problem_line = reader ? reader->get_file_line() : 0;
    out.rows_before_problem = sink.rows;
  };
  try {
    reader = std::make_unique<io::LineReader>(path, std::move(source));
    if (first_part) {
      const char* header = reader->next_line();
      while (header != nullptr && *header == '\0') header = reader->next_line();
      if (header == nullptr) {
        out.problem = "empty file, expected a Kaggle CSV header (label,pixel0,...)";
        return;
      }
      out.saw_header = true;
      std::string problem = detail::parse_header(header, &labelled);
      if (!problem.empty()) return fail(std::move(problem));
      out.labelled = labelled;
    }
    while (limit < 0 || sink.rows < limit) {
      const char* line = reader->next_line();
      if (line == nullptr) break;
      if (*line == '\0') continue;  // blank lines, e.g. a trailing one
      uint8_t* row = sink.slot();
      if (row == nullptr) return fail("out of memory for the images");
      int64_t label = -1;
      std::string problem = detail::parse_row(line, labelled, row, &label);
      if (!problem.empty()) return fail(std::move(problem));
      sink.commit(label);
    }
    out.lines = reader->get_file_line();
  } catch (const io::error::line_length_limit_exceeded&) {
    fail("line longer than 16 MB; this is not a Kaggle CSV file");
  } catch (const std::exception& e) {
    fail(e.what());
    out.problem_line = 0;  // a read error, not a line's fault
  }
}

// Turns the parts' results into the dataset or the first problem, in file order.
Result<Dataset> finish(const std::string& path, int64_t limit, RowBuffer& buffer,
                       std::vector<RowSink>& sinks, const std::vector<PartResult>& parts) {
  const bool labelled = parts[0].labelled;
  int64_t rows = 0, line_base = 0;
  for (size_t k = 0; k < parts.size(); ++k) {
    const PartResult& r = parts[k];
    int64_t take = sinks[k].rows;
    if (limit >= 0) take = std::min(take, limit - rows);
    if (!r.problem.empty() && (limit < 0 || rows + r.rows_before_problem < limit)) {
      if (r.problem_line == 0) return Error{path + ": " + r.problem};
      return at(path, line_base + r.problem_line, r.problem);
    }
    if (take > 0 && sinks[k].first != rows) {  // close the gap left by the part before
      std::memmove(buffer.pixels + rows * kPixels, buffer.pixels + sinks[k].first * kPixels,
                   static_cast<size_t>(take * kPixels));
      std::memmove(buffer.labels + rows, buffer.labels + sinks[k].first,
                   static_cast<size_t>(take) * sizeof(int64_t));
    }
    rows += take;
    line_base += r.lines;
    if (limit >= 0 && rows >= limit) break;
  }
  if (rows == 0) return Error{path + ": no rows after the header"};
  return adopt(buffer, rows, labelled);
}

// One thread, one stream: gzip files (inflating is serial; LineReader's own reader thread
// inflates ahead while this one parses), small files, and anything that is not a regular file.
Result<Dataset> load_stream(const std::string& path, int64_t limit) {
  gzFile gz = gzopen(path.c_str(), "rb");
  if (gz == nullptr) return Error{path + ": cannot open: " + std::strerror(errno)};
  gzbuffer(gz, 1 << 20);
  RowBuffer buffer;
  std::vector<RowSink> sinks = {RowSink{&buffer, 0, -1}};
  std::vector<PartResult> parts(1);
  read_part(path, std::make_unique<GzByteSource>(gz), true, false, limit, sinks[0], parts[0]);
  return finish(path, limit, buffer, sinks, parts);
}

// Reads `n` bytes at `offset` (fewer at the end of the file).
std::string peek(int fd, int64_t offset, size_t n) {
  std::string s(n, '\0');
  size_t done = 0;
  while (done < n) {
    const ssize_t got = ::pread(fd, s.data() + done, n - done, offset + done);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    done += static_cast<size_t>(got);
  }
  s.resize(done);
  return s;
}

// The offset just past the first newline at or after `from` that does not start a line with a
// byte-order mark (a part's LineReader would skip one); `size` when there is none.
int64_t line_start_after(int fd, int64_t from, int64_t size) {
  for (int64_t pos = from; pos < size;) {
    const std::string window = peek(fd, pos, kPeekBytes);
    if (window.empty()) return size;
    const auto nl = window.find('\n');
    if (nl == std::string::npos) {
      pos += static_cast<int64_t>(window.size());
      continue;
    }
    const int64_t start = pos + static_cast<int64_t>(nl) + 1;
    if (peek(fd, start, 3) != "\xEF\xBB\xBF") return start;
    pos = start;
  }
  return size;
}

// Whether the file's first non-blank line starts like the train header, to tell the threads
// that begin mid-file which format to expect (the first part checks the header in full).
bool looks_labelled(int fd) {
  std::string head = peek(fd, 0, kPeekBytes);
  size_t i = head.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  while (i < head.size() && (head[i] == '\n' || head[i] == '\r')) ++i;
  return head.compare(i, 6, "label,") == 0;
}

// Several threads, each parsing its own byte ranges of a plain file straight from the page cache
// with a LineReader per range, writing rows into the range's window of one shared buffer.
Result<Dataset> load_parallel(const std::string& path, int fd, int64_t size, unsigned threads,
                              int64_t limit) {
  // Ranges that a LineReader reads whole when it starts (it then needs no reader thread and
  // no block shuffling), an equal number per thread.
  const int64_t per_thread = (size + threads * kMaxPartBytes - 1) / (threads * kMaxPartBytes);
  const auto count = static_cast<unsigned>(threads * std::max<int64_t>(1, per_thread));
  std::vector<int64_t> bounds = {0};
  for (unsigned k = 1; k < count; ++k) {
    bounds.push_back(std::max(bounds.back(), line_start_after(fd, size * k / count, size)));
  }
  bounds.push_back(size);

  // A row is at least 784 one-digit fields and their commas, so this bounds each part's rows.
  RowBuffer buffer;
  std::vector<RowSink> sinks;
  int64_t total = 0;
  for (unsigned k = 0; k < count; ++k) {
    int64_t capacity = (bounds[k + 1] - bounds[k]) / (2 * kPixels) + 1;
    if (limit >= 0) capacity = std::min(capacity, limit);
    sinks.push_back(RowSink{&buffer, total, capacity});
    total += capacity;
  }
  if (!buffer.reserve(total)) return Error{path + ": out of memory for the images"};
  back_with_huge_pages(buffer.pixels, static_cast<size_t>(total * kPixels));

  const bool guess = looks_labelled(fd);
  std::vector<PartResult> parts(count);
  // Thread t parses parts [t * count / threads, (t + 1) * count / threads) in order, and stops
  // early where the rest cannot matter: after a bad row, or once it alone has `limit` rows.
  auto work = [&](unsigned t, bool labelled) {
    int64_t rows = 0;
    for (unsigned k = t * count / threads; k < (t + 1) * count / threads; ++k) {
      sinks[k].rows = 0;
      parts[k] = PartResult{};
      read_part(path, std::make_unique<FileRangeByteSource>(fd, bounds[k], bounds[k + 1]), k == 0,
                labelled, limit, sinks[k], parts[k]);
      if (k == 0) labelled = parts[0].labelled;
      rows += sinks[k].rows;
      if (!parts[k].problem.empty() || (limit >= 0 && rows >= limit)) break;
    }
  };
  std::vector<std::thread> workers;
  for (unsigned t = 1; t < threads; ++t) workers.emplace_back(work, t, guess);
  work(0, guess);
  for (auto& w : workers) w.join();

  // No header in the first part (a first part of blank lines, or unreadable): one stream says
  // what is wrong, with the right line numbers.
  if (!parts[0].saw_header) return load_stream(path, limit);
  if (parts[0].labelled != guess) {  // the sniffer was fooled: parse the rest again, serially
    for (unsigned t = 1; t < threads; ++t) work(t, parts[0].labelled);
  }
  return finish(path, limit, buffer, sinks, parts);
}

Result<Dataset> load_one(const std::string& path, int64_t limit) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) return Error{path + ": no such file"};
  if (fs::is_directory(status)) return Error{path + ": is a directory, expected a CSV file"};

  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Error{path + ": cannot open: " + std::strerror(errno)};
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Error{path + ": cannot stat: " + std::strerror(errno)};
  const bool gzip = peek(fd.get(), 0, 2) == "\x1f\x8b";
  const auto size = static_cast<int64_t>(st.st_size);
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const auto threads = static_cast<unsigned>(
      std::min<int64_t>(std::min(cores, kMaxLoadThreads), size / kParallelMinBytes));
  if (gzip || !S_ISREG(st.st_mode) || threads < 2) return load_stream(path, limit);
  return load_parallel(path, fd.get(), size, threads, limit);
}

}  // namespace

namespace detail {

Result<Dataset> read_kaggle_csv(const std::string& path, int64_t limit) {
  return load_one(path, limit);
}

}  // namespace detail
}  // namespace digits
