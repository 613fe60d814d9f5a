#include "store/store.hpp"

#include "util/os.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <thread>

namespace gpucfg::store {

namespace {

constexpr const char* k_version = "gpucfg store 1\n";

std::string unique_suffix() {
  static std::atomic<unsigned> counter{0};
  return std::to_string(util::process_id()) + "-" + std::to_string(counter++);
}

bool is_hex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

} // namespace

std::string default_dir() {
  if (const char* d = std::getenv("GPUCFG_CACHE_DIR"); d && *d) return d;
  if (util::is_superuser()) return "/var/cache/gpucfg";
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/gpucfg";
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "/tmp") + "/.cache/gpucfg";
}

Store::Store(disk::Disk& d, std::string dir) : m_disk(d), m_dir(std::move(dir)) {
  while (m_dir.size() > 1 && m_dir.back() == '/')
    m_dir.pop_back();
}

Status Store::open() {
  if (Status s = disk::make_dirs(m_disk, m_dir); !s.empty()) return s;
  std::string version = m_dir + "/VERSION";
  if (auto text = m_disk.read(version)) {
    if (*text != k_version)
      return m_dir + " is a store of another layout (" + util::trim(*text) +
             "); this gpucfg reads '" + util::trim(k_version) +
             "': use a newer gpucfg, or point "
             "GPUCFG_CACHE_DIR at another folder";
  } else {
    // The layout before the store: downloads in sha256/, wheel names in names/, cuDNN archives
    // unpacked in unpacked/ (trusted by their name: not kept).
    if (disk::is_dir(m_disk, m_dir + "/sha256") && !disk::exists(m_disk, m_dir + "/artifacts"))
      if (Status s = m_disk.rename(m_dir + "/sha256", m_dir + "/artifacts"); !s.empty()) return s;
    if (disk::is_dir(m_disk, m_dir + "/names")) {
      disk::make_dirs(m_disk, m_dir + "/artifacts");
      for (const auto& n : m_disk.list(m_dir + "/names"))
        if (is_hex64(n)) m_disk.rename(m_dir + "/names/" + n, artifact_name(n));
      m_disk.remove_tree(m_dir + "/names");
    }
    m_disk.remove_tree(m_dir + "/unpacked");
  }
  for (const char* sub : {"/artifacts", "/trees", "/verify", "/partial", "/tmp", "/roots"})
    if (Status s = disk::make_dirs(m_disk, m_dir + sub); !s.empty()) return s;
  if (!disk::exists(m_disk, version))
    if (Status s = disk::write_atomic(m_disk, version, k_version); !s.empty()) return s;
  return "";
}

std::optional<TreeRecord> Store::record(const std::string& key) const {
  auto text = m_disk.read(record_file(key));
  if (!text) return std::nullopt;
  return parse_record(*text);
}

bool Store::has_tree(const std::string& key) const {
  return !key.empty() && disk::is_dir(m_disk, tree(key)) && disk::exists(m_disk, record_file(key));
}

std::string Store::check(const std::string& key, bool hashes) {
  auto r = record(key);
  if (!r || !disk::is_dir(m_disk, tree(key))) return "not in the store";
  TreeManifest now = scan_tree(m_disk, tree(key), hashes, hashes ? util::usable_cores() : 1);
  std::map<std::string, TreeFile*> recorded;
  for (auto& f : r->tree.files)
    recorded[f.path] = &f;
  bool refreshed = false;
  for (const auto& f : now.files) {
    auto it = recorded.find(f.path);
    if (it == recorded.end()) continue;
    TreeFile& was = *it->second;
    if (f.kind != "file" || was.kind != "file" || was.sha256.empty() || f.size != was.size ||
        f.mtime_ns == was.mtime_ns || (f.mode && was.mode && f.mode != was.mode))
      continue;
    std::string sha =
        !f.sha256.empty() ? f.sha256 : m_disk.sha256(tree(key) + "/" + f.path).value_or("");
    if (sha != was.sha256) continue;
    was.mtime_ns = f.mtime_ns;
    refreshed = true;
  }
  if (refreshed) (void)disk::write_atomic(m_disk, record_file(key), record_text(*r));
  auto drift = tree_drift(r->tree, now, 6);
  if (drift.empty()) return "";
  if (drift.size() > 5) drift.back() = "...";
  return "differs from its record: " + util::join(drift, ", ");
}

Status Store::add_tree(const std::string& key, const std::vector<std::string>& inputs,
                       const Fill& fill, bool hash_rest) {
  if (key.empty()) return "a tree without a key cannot be stored";
  if (has_tree(key)) return "";
  std::string work = tmp_dir() + "/" + key.substr(0, 16) + "-" + unique_suffix();
  m_disk.remove_tree(work);
  if (Status s = disk::make_dirs(m_disk, work); !s.empty()) return s;
  TreeRecord rec;
  rec.inputs = inputs;
  Status s = fill(work, &rec.tree);
  if (s.empty()) {
    // What fill hashed on the way is kept; the rest is read once now, so every record can
    // check its tree by content (plan --checksum, a repair).
    TreeManifest listed = scan_tree(m_disk, work, false, 1);
    std::map<std::string, std::string> hashed;
    for (const auto& f : rec.tree.files)
      if (!f.sha256.empty()) hashed[f.path] = f.sha256;
    for (auto& f : listed.files)
      if (f.kind == "file") {
        auto it = hashed.find(f.path);
        f.sha256 = it != hashed.end() ? it->second
                   : hash_rest        ? m_disk.sha256(work + "/" + f.path).value_or("")
                                      : "";
      }
    rec.tree = std::move(listed);
    s = m_disk.sync_tree(work);
  }
  if (s.empty()) s = disk::write_atomic(m_disk, work + ".json", record_text(rec));
  if (s.empty()) {
    // The files go into place first, then the record is renamed over any record already there
    // (one of an entry whose files were discarded): a record for the key exists throughout.
    Status moved = m_disk.rename(work, tree(key));
    if (!moved.empty()) {
      // Another gpucfg made the same entry first, or a killed one left its folder: a folder with
      // its record is an entry (ours is not needed); one without is removed, and the rename tried
      // again.
      for (int i = 0; i < 100 && !has_tree(key) && disk::exists(m_disk, tree(key)); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (has_tree(key)) {
        m_disk.remove_tree(work);
        m_disk.remove(work + ".json");
        return "";
      }
      m_disk.remove_tree(tree(key));
      moved = m_disk.rename(work, tree(key));
    }
    s = moved;
  }
  if (s.empty()) s = m_disk.rename(work + ".json", record_file(key));
  if (s.empty()) s = disk::sync_parent(m_disk, tree(key));
  if (!s.empty()) {
    m_disk.remove_tree(work);
    m_disk.remove(work + ".json");
  }
  return s;
}

Status Store::discard_files(const std::string& key) {
  return m_disk.remove_tree(tree(key));
}

Status Store::evict(const std::string& key) {
  // The files first: a record without them is not an entry (has_tree), and is made whole again
  // by the next add_tree of its key.
  if (Status s = m_disk.remove_tree(tree(key)); !s.empty()) return s;
  return m_disk.remove(record_file(key));
}

Status Store::add_root(const std::string& state_dir) {
  std::string file = m_dir + "/roots/" + util::sha256_hex(state_dir);
  if (m_disk.read(file) == state_dir) return "";
  if (Status s = disk::make_dirs(m_disk, m_dir + "/roots"); !s.empty()) return s;
  return disk::write_atomic(m_disk, file, state_dir);
}

Status Store::drop_root(const std::string& state_dir) {
  return m_disk.remove(m_dir + "/roots/" + util::sha256_hex(state_dir));
}

std::vector<std::string> Store::roots() const {
  std::vector<std::string> out;
  for (const auto& n : m_disk.list(m_dir + "/roots"))
    if (is_hex64(n))
      if (auto dir = m_disk.read(m_dir + "/roots/" + n); dir && util::sha256_hex(*dir) == n)
        out.push_back(*dir);
  return out;
}

} // namespace gpucfg::store
