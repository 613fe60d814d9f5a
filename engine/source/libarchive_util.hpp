// What archive.cpp (reading) and archive_write.cpp (writing) both say to libarchive.
#pragma once

#include <archive.h>
#include <cstddef>
#include <cstdint>
#include <string>

namespace gpucfg::source {

// libarchive's message, which is NULL when it set none (a truncated header, say).
inline std::string archive_why(struct archive* a) {
  const char* m = archive_error_string(a);
  return m ? m : "no details";
}

// The block size for streaming file bytes in and out of archives.
inline constexpr std::size_t k_archive_block = 1 << 20;
// How much of a file is written before its writeback is started (util::start_writeback): the
// disk works while the CPU decompresses, so the tree's closing sync has little left to wait for.
inline constexpr std::uint64_t k_writeback_step = 1u << 20;

} // namespace gpucfg::source
