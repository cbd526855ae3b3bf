#include "digits/report/tensorboard.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>

#ifdef DIGITS_HAVE_TENSORBOARD
#include "tensorboard_event.pb.h"
#endif

namespace digits {

namespace {

// The table of the reflected polynomial 0x82F63B78, one byte at a time (RFC 3720, B.4).
const std::array<uint32_t, 256>& crc32c_table() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

double unix_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void put_u64(std::string& s, uint64_t v) {
  for (int i = 0; i < 8; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
}
void put_u32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
}
uint64_t get_le(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

}  // namespace

uint32_t crc32c(const void* data, size_t size) {
  const auto& table = crc32c_table();
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

uint32_t masked_crc32c(const void* data, size_t size) {
  const uint32_t c = crc32c(data, size);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

#ifdef DIGITS_HAVE_TENSORBOARD

bool tensorboard_compiled_in() { return true; }

Result<std::unique_ptr<EventWriter>> EventWriter::open(const std::string& run_dir) {
  std::error_code ec;
  std::filesystem::create_directories(run_dir, ec);
  if (ec) return Error{run_dir + ": cannot create the TensorBoard folder: " + ec.message()};
  char host[256] = "localhost";
  ::gethostname(host, sizeof host - 1);
  const std::string stem = run_dir + "/events.out.tfevents." +
                           std::to_string(static_cast<int64_t>(unix_seconds())) + "." + host + "." +
                           std::to_string(::getpid());
  std::string path = stem;
  for (int n = 1; std::filesystem::exists(path, ec); ++n) path = stem + "." + std::to_string(n);
  std::ofstream out(path, std::ios::binary);
  if (!out)
    return Error{path + ": cannot create the TensorBoard event file: " + std::strerror(errno)};
  std::unique_ptr<EventWriter> w(new EventWriter(path, std::move(out)));
  tensorboard::Event first;
  first.set_wall_time(unix_seconds());
  first.set_file_version("brain.Event:2");
  DIGITS_RETURN_IF_ERROR(w->write_record(first.SerializeAsString()));
  return w;
}

Status EventWriter::add_scalars(int64_t step,
                                const std::vector<std::pair<std::string, double>>& values) {
  tensorboard::Event event;
  event.set_wall_time(unix_seconds());
  event.set_step(step);
  auto* summary = event.mutable_summary();
  for (const auto& [tag, value] : values) {
    if (!std::isfinite(value)) continue;
    auto* v = summary->add_value();
    v->set_tag(tag);
    v->set_simple_value(static_cast<float>(value));
  }
  return write_record(event.SerializeAsString());
}

Status EventWriter::write_record(const std::string& bytes) {
  std::string record;
  put_u64(record, bytes.size());
  put_u32(record, masked_crc32c(record.data(), 8));
  record += bytes;
  put_u32(record, masked_crc32c(bytes.data(), bytes.size()));
  out_.write(record.data(), static_cast<std::streamsize>(record.size()));
  out_.flush();
  if (!out_)
    return Error{path_ + ": cannot write the TensorBoard event file: " + std::strerror(errno)};
  return {};
}

Result<std::vector<ScalarEvent>> read_scalar_events(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{path + ": cannot read: " + std::strerror(errno)};
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  std::vector<ScalarEvent> scalars;
  size_t at = 0;
  bool first = true;
  while (at < bytes.size()) {
    const std::string where = path + ": record at byte " + std::to_string(at);
    if (bytes.size() - at < 12) return Error{where + ": truncated header"};
    const uint64_t length = get_le(bytes.data() + at, 8);
    if (static_cast<uint32_t>(get_le(bytes.data() + at + 8, 4)) !=
        masked_crc32c(bytes.data() + at, 8)) {
      return Error{where + ": the length's CRC does not match"};
    }
    if (length > bytes.size() - at - 12 || bytes.size() - at - 12 - length < 4) {
      return Error{where + ": truncated (" + std::to_string(length) + " bytes announced)"};
    }
    const char* data = bytes.data() + at + 12;
    if (static_cast<uint32_t>(get_le(data + length, 4)) != masked_crc32c(data, length)) {
      return Error{where + ": the record's CRC does not match"};
    }
    tensorboard::Event event;
    if (!event.ParseFromArray(data, static_cast<int>(length))) {
      return Error{where + ": not an Event"};
    }
    if (first && event.file_version().rfind("brain.Event:", 0) != 0) {
      return Error{where + ": the first event has no file version"};
    }
    first = false;
    for (const auto& v : event.summary().value()) {
      scalars.push_back(ScalarEvent{event.step(), event.wall_time(), v.tag(), v.simple_value()});
    }
    at += 12 + length + 4;
  }
  return scalars;
}

#else  // without protobuf's compiler

bool tensorboard_compiled_in() { return false; }

namespace {
Error not_compiled_in(const std::string& path) {
  return Error{path +
               ": TensorBoard event files are not compiled into this build (install "
               "protobuf-compiler and libprotobuf-dev, Debian's packages, and rebuild)"};
}
}  // namespace

Result<std::unique_ptr<EventWriter>> EventWriter::open(const std::string& run_dir) {
  return not_compiled_in(run_dir);
}
Status EventWriter::add_scalars(int64_t, const std::vector<std::pair<std::string, double>>&) {
  return not_compiled_in(path_);
}
Status EventWriter::write_record(const std::string&) { return not_compiled_in(path_); }
Result<std::vector<ScalarEvent>> read_scalar_events(const std::string& path) {
  return not_compiled_in(path);
}

#endif

}  // namespace digits
