// Where the archive inside a file starts, and what the archive's own index says that a streaming
// read does not see. NVIDIA ships toolkits as self-extracting programs:
//   Linux runfiles   a makeself shell script followed by a compressed tar. The header says how
//                    many lines it has: `offset=`head -n 541 "$0" | wc -c`` (makeself 2.1, what
//                    NVIDIA's runfiles carry) or `skip="714"` (makeself 2.4).
//   Windows .exe     a 7-Zip self-extracting program: a PE stub ("MZ") followed by a .7z archive
//                    whose start header (signature, then a CRC of the next 20 bytes) is found
//                    by scanning; 7z offsets are relative to that header, so reading from there
//                    reads a plain .7z.
// Nothing here executes the file. Pure reads through a file descriptor.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace gpucfg::source {

struct Container {
  enum class Kind { plain, zip, makeself, sevenzip }; // zip: read through its central directory
  Kind kind = Kind::plain;
  std::uint64_t offset = 0; // where the archive's bytes begin
  std::string error;        // a makeself header whose payload offset could not be read
};

// Looks at the file's first bytes (and, for a PE stub, scans for the 7z start header).
Container inspect_container(int fd);

} // namespace gpucfg::source
