#include "checkpoint/zip_check.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "checkpoint/pickle_check.h"

namespace digits::detail {

namespace {

// The records of a zip file this check reads (PKWARE APPNOTE 4.3), each at a byte offset.
constexpr uint32_t kEndSignature = 0x06054b50;  // end of central directory
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr uint32_t kZip64EndSignature = 0x06064b50;
constexpr uint32_t kDirectorySignature = 0x02014b50;  // central directory entry
constexpr uint32_t kLocalSignature = 0x04034b50;      // local file header
constexpr size_t kEndSize = 22, kZip64LocatorSize = 20, kZip64EndSize = 56;
constexpr size_t kDirectoryEntrySize = 46, kLocalHeaderSize = 30;
constexpr uint64_t kSaturated16 = 0xFFFF, kSaturated32 = 0xFFFFFFFF;

// Little-endian integers, bounds-checked by the caller.
uint64_t le(const std::string& b, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}

// A zip entry's name, safe to print.
std::string preview_name(std::string s) {
  if (s.size() > 60) s = s.substr(0, 60) + "...";
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return s;
}

// Where the central directory is, from the end record (or the zip64 one it points to).
struct Directory {
  uint64_t entries = 0, size = 0, offset = 0;
};

// One central directory entry, with zip64 sizes applied.
struct DirectoryEntry {
  uint64_t method = 0, crc = 0, compressed = 0, uncompressed = 0, local_offset = 0;
  size_t name_at = 0, name_len = 0, record_size = 0;
};

const char* const kNotZip =
    "not a readable checkpoint (truncated, or not a LibTorch archive: no zip directory at its "
    "end)";
const std::string kTruncated = "not a readable checkpoint (truncated: ";

// The end record, searched backwards past a comment of up to 64 KB; npos when none.
size_t find_end_record(const std::string& b) {
  const size_t n = b.size();
  if (n < kEndSize) return std::string::npos;
  for (size_t at = n - kEndSize + 1; at-- > 0 && n - at <= kEndSize + 0xFFFF;) {
    if (le(b, at, 4) == kEndSignature && at + kEndSize + le(b, at + 20, 2) == n) return at;
  }
  return std::string::npos;
}

// The directory's place, or the problem. Zip64 (LibTorch writes it always): a locator just
// before the end record points at the zip64 end record, whose values miniz uses; they must
// agree with the short ones unless those are saturated.
std::optional<Directory> read_directory(const std::string& b, size_t end, std::string* problem) {
  Directory d{le(b, end + 10, 2), le(b, end + 12, 4), le(b, end + 16, 4)};
  if (end >= kZip64LocatorSize && le(b, end - kZip64LocatorSize, 4) == kZip64LocatorSignature) {
    const uint64_t at = le(b, end - kZip64LocatorSize + 8, 8);
    if (at > b.size() || b.size() - at < kZip64EndSize || le(b, at, 4) != kZip64EndSignature) {
      *problem = "damaged checkpoint: its zip64 end record is missing or broken";
      return std::nullopt;
    }
    const Directory d64{le(b, at + 32, 8), le(b, at + 40, 8), le(b, at + 48, 8)};
    if ((d.entries != kSaturated16 && d.entries != d64.entries) ||
        (d.size != kSaturated32 && d.size != d64.size) ||
        (d.offset != kSaturated32 && d.offset != d64.offset) || le(b, at + 24, 8) != d64.entries) {
      *problem = "damaged checkpoint: its zip end records disagree";
      return std::nullopt;
    }
    return d64;
  }
  if (d.entries == kSaturated16 || d.size == kSaturated32 || d.offset == kSaturated32) {
    *problem = kNotZip;
    return std::nullopt;
  }
  return d;
}

// The entry at `at`, its record within [at, dir_end); nullopt when it does not fit there.
std::optional<DirectoryEntry> read_entry(const std::string& b, size_t at, size_t dir_end) {
  if (dir_end - at < kDirectoryEntrySize || le(b, at, 4) != kDirectorySignature) return {};
  DirectoryEntry e;
  e.method = le(b, at + 10, 2);
  e.crc = le(b, at + 16, 4);
  e.compressed = le(b, at + 20, 4);
  e.uncompressed = le(b, at + 24, 4);
  e.name_len = le(b, at + 28, 2);
  const size_t extra_len = le(b, at + 30, 2), comment_len = le(b, at + 32, 2);
  e.local_offset = le(b, at + 42, 4);
  if (dir_end - at - kDirectoryEntrySize < e.name_len + extra_len + comment_len) return {};
  e.name_at = at + kDirectoryEntrySize;
  e.record_size = kDirectoryEntrySize + e.name_len + extra_len + comment_len;
  // Zip64 sizes and offset, in this order, for the fields that are saturated.
  const size_t extra_end = e.name_at + e.name_len + extra_len;
  for (size_t x = e.name_at + e.name_len; x + 4 <= extra_end;) {
    const uint64_t id = le(b, x, 2), len = le(b, x + 2, 2);
    if (x + 4 + len > extra_end) break;
    if (id == 0x0001) {
      size_t f = x + 4;
      auto next = [&](uint64_t* v) {
        if (f + 8 <= x + 4 + len) {
          *v = le(b, f, 8);
          f += 8;
        }
      };
      if (e.uncompressed == kSaturated32) next(&e.uncompressed);
      if (e.compressed == kSaturated32) next(&e.compressed);
      if (e.local_offset == kSaturated32) next(&e.local_offset);
    }
    x += 4 + len;
  }
  return e;
}

// Inflates a raw deflate stream of `size` bytes that should give `expected` bytes, and computes
// the CRC-32 of what it gives (and keeps it in `text`, when given). False when the stream is
// broken or its length is not `expected`.
bool inflate_crc(const char* in, uint64_t size, uint64_t expected, uLong* sum,
                 std::string* text = nullptr) {
  if (size > (1u << 30) || expected > (1u << 30)) return false;  // LibTorch deflates only code
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return false;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in));
  z.avail_in = static_cast<uInt>(size);
  std::vector<unsigned char> out(1 << 16);
  uint64_t total = 0;
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    rc = inflate(&z, Z_NO_FLUSH);
    const auto got = out.size() - z.avail_out;
    *sum = crc32(*sum, out.data(), static_cast<uInt>(got));
    if (text != nullptr && total + got <= expected) {
      text->append(reinterpret_cast<const char*>(out.data()), got);
    }
    total += got;
    if (total > expected || (rc == Z_BUF_ERROR && z.avail_in == 0)) break;
  }
  inflateEnd(&z);
  return rc == Z_STREAM_END && total == expected;
}

// The entry's data checked against its local header and its CRC-32; "" or the problem. Sets
// `data_at` to where the data starts.
std::string check_entry(const std::string& b, const DirectoryEntry& e, uint64_t* data_at) {
  const size_t n = b.size();
  const std::string name = preview_name(b.substr(e.name_at, e.name_len));
  const uint64_t local = e.local_offset;
  if (local > n || n - local < kLocalHeaderSize || le(b, local, 4) != kLocalSignature) {
    return kTruncated + "entry '" + name + "' lies past the end of the file)";
  }
  const uint64_t local_name_len = le(b, local + 26, 2);
  const uint64_t data = local + kLocalHeaderSize + local_name_len + le(b, local + 28, 2);
  if (data > n || e.compressed > n - data) {
    return kTruncated + "entry '" + name + "' lies past the end of the file)";
  }
  *data_at = data;
  // The name is stored twice (the CRC covers neither); LibTorch crashes on a class whose
  // source it cannot find, so a changed name must not get through.
  if (local_name_len != e.name_len ||
      b.compare(local + kLocalHeaderSize, e.name_len, b, e.name_at, e.name_len) != 0 ||
      le(b, local + 8, 2) != e.method) {
    return "damaged checkpoint: the zip headers of entry '" + name +
           "' disagree (name or compression method)";
  }
  // LibTorch stores tensors and deflates its code and debug records.
  uLong sum = crc32(0L, Z_NULL, 0);
  if (e.method == 0) {
    for (uint64_t done = 0; done < e.compressed;) {
      const auto chunk = static_cast<uInt>(std::min<uint64_t>(e.compressed - done, 1u << 30));
      sum = crc32(sum, reinterpret_cast<const Bytef*>(b.data() + data + done), chunk);
      done += chunk;
    }
    if (e.compressed != e.uncompressed) sum = ~e.crc;  // a stored entry's sizes are equal
  } else if (e.method == 8) {
    if (!inflate_crc(b.data() + data, e.compressed, e.uncompressed, &sum)) sum = ~e.crc;
  } else {
    return "damaged checkpoint: entry '" + name + "' uses compression method " +
           std::to_string(e.method) + ", which LibTorch archives never use";
  }
  if (sum != e.crc) {
    return "damaged checkpoint: the contents of '" + name +
           "' fail their CRC-32 check (the file was changed or corrupted)";
  }
  return {};
}

// An entry found in the directory, its data at `data`.
struct Entry {
  DirectoryEntry e;
  uint64_t data = 0;
};

// Every tensor the archive's pickles declare against the entry that holds its bytes: LibTorch
// reads PREFIX/data.pkl's storages from PREFIX/data/KEY and PREFIX/constants.pkl's from
// PREFIX/constants/KEY, trusting the sizes the pickle declares. "" or the problem.
std::string check_tensors(const std::string& b, const std::map<std::string, Entry>& entries) {
  for (const auto& [name, entry] : entries) {
    const size_t slash = name.find('/');
    if (slash == std::string::npos || name.find('/', slash + 1) != std::string::npos) continue;
    const std::string prefix = name.substr(0, slash + 1), file = name.substr(slash + 1);
    if (file != "data.pkl" && file != "constants.pkl") continue;
    const std::string folder = prefix + file.substr(0, file.size() - 4) + "/";
    std::string text;
    const DirectoryEntry& e = entry.e;
    if (e.method == 0) {
      text = b.substr(entry.data, e.compressed);
    } else {
      uLong sum = crc32(0L, Z_NULL, 0);
      if (!inflate_crc(b.data() + entry.data, e.compressed, e.uncompressed, &sum, &text)) {
        return "damaged checkpoint: '" + preview_name(name) + "' does not inflate";
      }
    }
    const std::string problem =
        check_pickled_tensors(text, preview_name(name), [&](const std::string& key) {
          const auto it = entries.find(folder + key);
          return it == entries.end() ? std::nullopt
                                     : std::optional<DataEntry>(DataEntry{
                                           preview_name(it->first), it->second.e.uncompressed});
        });
    if (!problem.empty()) return problem;
  }
  return {};
}

}  // namespace

std::string verify_zip(const std::string& b) {
  const size_t end = find_end_record(b);
  if (end == std::string::npos) return kNotZip;
  std::string problem;
  const auto dir = read_directory(b, end, &problem);
  if (!dir) return problem;
  if (dir->offset > b.size() || dir->size > b.size() - dir->offset) {
    return kTruncated + "its zip directory lies past the end of the file)";
  }
  size_t at = dir->offset;
  const size_t dir_end = dir->offset + dir->size;
  std::map<std::string, Entry> entries;
  for (uint64_t i = 0; i < dir->entries; ++i) {
    const auto entry = read_entry(b, at, dir_end);
    if (!entry) {
      return "damaged checkpoint: its zip directory is broken at entry " + std::to_string(i + 1);
    }
    uint64_t data = 0;
    if (auto p = check_entry(b, *entry, &data); !p.empty()) return p;
    // One entry per name: a second would leave which one LibTorch reads to its zip reader.
    const std::string name = b.substr(entry->name_at, entry->name_len);
    if (!entries.emplace(name, Entry{*entry, data}).second) {
      return "damaged checkpoint: it holds entry '" + preview_name(name) + "' twice";
    }
    at += entry->record_size;
  }
  return check_tensors(b, entries);
}

}  // namespace digits::detail
