// This computer's file system as a Disk: the primitives of disk/fsops.hpp (O_EXCL|O_NOFOLLOW
// creation, rename-over, link(2), FICLONE, syncfs; their Windows equivalents).
#pragma once

#include "disk/disk.hpp"

namespace gpucfg::disk {

class RealDisk : public Disk {
public:
  std::optional<Stat> lstat(const std::string& path) const override;
  std::optional<std::string> read(const std::string& path) const override;
  std::optional<std::string> read_link(const std::string& path) const override;
  std::vector<std::string> list(const std::string& dir) const override;
  std::vector<std::pair<std::string, Stat>> list_stat(const std::string& dir) const override;
  std::optional<std::string> sha256(const std::string& path) const override;

  Status write(const std::string& path, const std::string& data, unsigned mode) override;
  Status copy(const std::string& from, const std::string& to, unsigned mode,
              std::string* sha) override;
  Status clone(const std::string& from, const std::string& to, unsigned mode) override;
  Status link(const std::string& existing, const std::string& to) override;
  Status symlink(const std::string& target, const std::string& path) override;
  Status rename(const std::string& from, const std::string& to) override;
  Status remove(const std::string& path) override;
  Status remove_tree(const std::string& path) override;
  Status make_dir(const std::string& path, unsigned mode) override;
  Status remove_dir(const std::string& path) override;
  Status set_mtime(const std::string& path, std::int64_t mtime_ns) override;
  Status set_mode(const std::string& path, unsigned mode) override;
  Status sync(const std::string& path) override;
  Status sync_tree(const std::string& path) override;
};

// The process's one RealDisk (it holds no state).
RealDisk& real_disk();

} // namespace gpucfg::disk
