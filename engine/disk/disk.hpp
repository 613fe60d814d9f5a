// The disk as the engine changes it. Every file the store, the transaction and the state
// folder create, link, rename or remove goes through a Disk: RealDisk (this computer's file
// system, disk/real_disk.hpp) or FakeDisk (memory, disk/fake_disk.hpp), so the executor, the
// store and the state can be tested in-process, every step failed on purpose, as ninja tests its
// builder against a VirtualFileSystem. Paths are host paths (the root already joined), '/'
// separated. Each operation completes or leaves things as they were, and says what failed as
// text (Status "" = done); nothing throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gpucfg::disk {

using Status = std::string;

enum class Kind { file, dir, symlink, other };

struct Stat {
  Kind kind = Kind::other;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  unsigned mode = 0;       // permission bits
  std::uint64_t links = 1; // hard links to the same file (1: it shares its bytes with no name)
  std::uint32_t uid = 0;   // the owner (0: root; always 0 on Windows)
};

class Disk {
public:
  virtual ~Disk() = default;

  // Reads. lstat looks at the last component itself (a link is a link).
  virtual std::optional<Stat> lstat(const std::string& path) const = 0;
  virtual std::optional<std::string> read(const std::string& path) const = 0;
  virtual std::optional<std::string> read_link(const std::string& path) const = 0;
  virtual std::vector<std::string> list(const std::string& dir) const = 0; // names, sorted
  // A folder's entries with their lstat, sorted by name: list() and lstat() of each, which the
  // real disk answers in one pass over the open folder (a tree walk's cost is this).
  virtual std::vector<std::pair<std::string, Stat>> list_stat(const std::string& dir) const;
  virtual std::optional<std::string> sha256(const std::string& path) const = 0;

  // A new file holding `data` (never through anything already at `path`), durable.
  virtual Status write(const std::string& path, const std::string& data, unsigned mode) = 0;
  // A new file with `from`'s bytes; its sha256, as written, in *sha.
  virtual Status copy(const std::string& from, const std::string& to, unsigned mode,
                      std::string* sha) = 0;
  // A new file sharing `from`'s blocks copy-on-write; k_no_reflink where there are none.
  virtual Status clone(const std::string& from, const std::string& to, unsigned mode) = 0;
  virtual Status link(const std::string& existing, const std::string& to) = 0; // a hard link
  virtual Status symlink(const std::string& target, const std::string& path) = 0;
  // Moves `from` to `to`, replacing a file or an empty folder there in one step.
  virtual Status rename(const std::string& from, const std::string& to) = 0;
  virtual Status remove(const std::string& path) = 0;      // a file or a link
  virtual Status remove_tree(const std::string& path) = 0; // anything, recursively; absent: ""
  // One folder with exactly `mode`; "" when a folder is already there (left as it is).
  virtual Status make_dir(const std::string& path, unsigned mode) = 0;
  virtual Status remove_dir(const std::string& path) = 0; // an empty folder
  virtual Status set_mtime(const std::string& path, std::int64_t mtime_ns) = 0;
  // The permission bits of a file or folder, set on it opened without following a link.
  virtual Status set_mode(const std::string& path, unsigned mode) = 0;
  virtual Status sync(const std::string& path) = 0;      // a file or folder, durable
  virtual Status sync_tree(const std::string& path) = 0; // everything written under it
};

// What clone says where the file system cannot share blocks (the caller links or copies).
inline constexpr const char* k_no_reflink = "reflinks are not supported here";

// Helpers every Disk shares. parent_of and leaf_of split at '/' or '\\' (Windows paths).
std::string parent_of(const std::string& path);
std::string leaf_of(const std::string& path);
bool exists(const Disk& d, const std::string& path);
bool is_dir(const Disk& d, const std::string& path);
Status sync_parent(Disk& d, const std::string& path);
// mkdir -p, 0755 whatever the umask (a root umask of 077 would hide a toolkit from its users);
// the folders it made, outermost first, in *created.
Status make_dirs(Disk& d, const std::string& path, std::vector<std::string>* created = nullptr);
// `data` at `path` through a temporary name and a rename: readers see the old or the new text.
Status write_atomic(Disk& d, const std::string& path, const std::string& data,
                    unsigned mode = 0644);

// One entry of a folder walked recursively: its path relative to the folder ('/' separated).
struct Entry {
  std::string path;
  Stat stat;
  std::string link_target; // symlinks
};
// Every entry under `dir`, depth first over sorted listings (a folder before what it holds);
// links are listed, never followed.
std::vector<Entry> walk(const Disk& d, const std::string& dir);
// The same entries, walked by `jobs` threads taking folders from one queue (a toolkit's include/
// tree is thousands of lstat calls): in no particular order. The Disk is only read.
std::vector<Entry> walk_unordered(const Disk& d, const std::string& dir, unsigned jobs);

} // namespace gpucfg::disk
