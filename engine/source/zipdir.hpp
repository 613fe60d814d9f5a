#pragma once
// A zip's central directory, read by gpucfg itself, so that the big entries of a wheel can be
// inflated whole by libdeflate (about twice zlib's speed) straight into their files. libarchive
// still walks the archive and decides every rule (names, modes, links, caps); this only replaces
// how a regular file's bytes are produced. Anything unusual (another method, encryption, a
// directory that does not parse) is left to libarchive's own reader.
#include "util/sha256.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

namespace gpucfg::source {

struct ZipMember {
  std::uint64_t local_header = 0; // offset of the entry's local header
  std::uint64_t packed = 0, size = 0;
  std::uint16_t method = 0; // 0 stored, 8 deflate
  std::uint32_t crc32 = 0;
  bool encrypted = false;
};

// name -> member, from the end-of-central-directory record (zip64 included); nullopt when the
// bytes are not a zip this reader understands.
std::optional<std::unordered_map<std::string, ZipMember>> read_zip_directory(const char* data,
                                                                             std::uint64_t size);

// Whether inflate_member can produce this member's bytes.
bool inflatable(const ZipMember& m);

// Members up to this size are inflated whole into a buffer each thread reuses, then written;
// the extractor streams bigger ones (see Extractor::zip_member).
inline constexpr std::uint64_t k_zip_whole_max = 4u << 20;

// Writes the member's bytes into `out` (an empty file, grown to m.size), checking its CRC-32, and
// feeds them to `hash` when given. "" or what went wrong.
std::string inflate_member(const char* data, std::uint64_t size, const ZipMember& m, int out,
                           util::Sha256* hash);

} // namespace gpucfg::source
