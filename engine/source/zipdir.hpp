#pragma once
// A zip's central directory, read by gpucfg itself, so that a wheel's entries are inflated by
// faster inflaters than libarchive's zlib: small ones whole by libdeflate (about twice zlib's
// speed), big ones streamed by ISA-L's igzip (also about twice) where gpucfg is built with it.
// libarchive still walks the archive and decides every rule (names, modes, links, caps); this only
// replaces how a regular file's bytes are produced. Anything unusual (another method, encryption, a
// directory that does not parse) is left to libarchive's own reader.
#include "util/sha256.hpp"

#include <cstdint>
#include <functional>
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
// bigger ones are streamed (a whole buffer as big as cuDNN's 600 MB library would cost memory,
// and writing through a mapping of the new file measured slower than streaming).
inline constexpr std::uint64_t k_zip_whole_max = 4u << 20;

// Writes the bytes of a member of at most k_zip_whole_max into `out` (an empty file), checking
// its CRC-32, and feeds them to `hash` when given. "" or what went wrong.
std::string inflate_member(const char* data, std::uint64_t size, const ZipMember& m, int out,
                           util::Sha256* hash);

// Takes the next piece of a streamed member's bytes; false stops the stream.
using ZipSink = std::function<bool(const char* bytes, std::size_t n)>;

// Whether stream_member can produce this member: stored ones always, deflated ones where gpucfg
// is built with ISA-L (Debian's libisal; not the Windows build, where libarchive's zlib streams
// them).
bool streamable(const ZipMember& m);

// The member's bytes to `sink` in pieces, its CRC-32 checked at the end; the archive's pages it
// read are dropped from the process as it goes. "" or what went wrong ("stopped" when the sink
// said so).
std::string stream_member(const char* data, std::uint64_t size, const ZipMember& m,
                          const ZipSink& sink);

} // namespace gpucfg::source
