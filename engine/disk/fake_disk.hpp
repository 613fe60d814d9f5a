// A Disk in memory, for in-process tests of the store, the transaction and the executor. It is a
// real implementation, not a mock: files, folders, symbolic links and hard links (names sharing
// one file, so a write through one shows through the other), renames of whole folders, and the
// same refusals a POSIX file system gives (a parent that is missing, a name that is taken, a
// folder that is not empty). A test can make the N-th change fail (fail_at) or make every change
// from the N-th on fail as a killed process would leave it (stop_at), then look at what is left.
#pragma once

#include "disk/disk.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace gpucfg::disk {

class FakeDisk : public Disk {
public:
  FakeDisk();

  // Setting up a test's machine (not counted as changes, never failed).
  void put_file(const std::string& path, const std::string& data, unsigned mode = 0644);
  void put_link(const std::string& path, const std::string& target);
  void put_dir(const std::string& path);
  // What another program writing through `path` does: the file's bytes change in place, for every
  // name it has (its mtime too, unless kept, as `touch -d` would put it back).
  void overwrite(const std::string& path, const std::string& data, bool keep_mtime = false);

  // Every name of the file at `path` (its hard links), itself included.
  std::vector<std::string> names_of(const std::string& path) const;
  // Every path with what is there: "dir 0755", "file 0644 <sha256>", "link <target>".
  std::map<std::string, std::string> snapshot(const std::string& under = "/") const;
  // The changes made, in order ("rename /a -> /b"), and how many.
  const std::vector<std::string>& changes() const { return m_changes; }
  int change_count() const { return m_count; }
  // The n-th change from now fails (and changes nothing); 0: none.
  void fail_at(int n) { m_fail_at = n ? m_count + n : 0; }
  // From the n-th change from now on, every change fails: the process was killed there.
  void stop_at(int n) { m_stop_at = n ? m_count + n : 0; }
  // Whether the process counts as killed (stop_at reached): fakes of other side effects (the
  // package manager) then do nothing either.
  bool stopped() const { return m_stop_at && m_count >= m_stop_at; }
  void set_reflinks(bool on) { m_reflinks = on; }

  std::optional<Stat> lstat(const std::string& path) const override;
  std::optional<std::string> read(const std::string& path) const override;
  std::optional<std::string> read_link(const std::string& path) const override;
  std::vector<std::string> list(const std::string& dir) const override;
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

private:
  struct Inode {
    std::string data;
    unsigned mode = 0644;
    std::int64_t mtime_ns = 0;
  };
  struct Node {
    Kind kind = Kind::file;
    std::shared_ptr<Inode> inode; // files
    std::string target;           // links
    unsigned mode = 0755;         // folders
    std::int64_t mtime_ns = 0;    // folders and links
  };

  // "" when the change may go ahead; else why not (a failure injected, or the process stopped).
  Status begin(const std::string& what);
  const Node* node(const std::string& path) const;
  // The file a path leads to, following links (as open(2) would); null when there is none.
  const Node* follow(const std::string& path) const;
  Status need_parent(const std::string& path, const std::string& what) const;
  std::int64_t tick() { return m_clock += 1000; }
  bool has_children(const std::string& dir) const;
  std::map<std::string, Node>::const_iterator first_under(const std::string& dir) const;

  std::map<std::string, Node> m_nodes;
  std::vector<std::string> m_changes;
  int m_count = 0, m_fail_at = 0, m_stop_at = 0;
  bool m_reflinks = false;
  std::int64_t m_clock = 1700000000LL * 1000000000LL;
};

} // namespace gpucfg::disk
