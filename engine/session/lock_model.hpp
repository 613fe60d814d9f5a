// The lock file's data (session/lockfile.hpp reads, writes and applies it).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gpucfg::session {

struct LockedArtifact {
  std::string role;               // cuda | cudnn | python
  std::string name, file, sha256; // sha256 "" when nothing pins it (plan refuses it)
  std::uint64_t size = 0;
  std::vector<std::string> origins; // where the manifest says it is (mirrors are the machine's)
  std::string via;                  // the redistrib index, wheel requirement or URL it came through
};

struct PlatformLock {
  std::string resolved_sha256; // of the manifest resolved for this platform, paths made relative
  std::vector<LockedArtifact> artifacts;
};

struct LockFile {
  int format_version = 1;
  std::string manifest; // file name, beside the lock
  std::map<std::string, PlatformLock> platforms;
};

} // namespace gpucfg::session
