#include "exec/state.hpp"

#include "disk/real_disk.hpp"
#include "plan/observe.hpp"
#include "plan/plan_json.hpp"
#include "util/sha256.hpp"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <thread>

namespace gpucfg::exec {

namespace fs = std::filesystem;

StateStore::StateStore(disk::Disk& d, std::string root)
    : m_disk(d), m_root(root.empty() || root == "/" ? "" : std::move(root)) {
  while (!m_root.empty() && m_root.back() == '/')
    m_root.pop_back();
}

std::string StateStore::host(const std::string& p) const {
  return m_root + p;
}

std::string StateStore::dir() const {
  return plan::state_dir(m_root.empty() ? "/" : m_root);
}

Status StateStore::keep_text(const std::string& text, std::string* sha) {
  *sha = util::sha256_hex(text);
  std::string dest = blob(*sha);
  if (disk::exists(m_disk, dest)) return "";
  m_disk.remove(dest + ".tmp");
  if (Status s = m_disk.write(dest + ".tmp", text, 0444); !s.empty()) return s;
  return m_disk.rename(dest + ".tmp", dest);
}

Status StateStore::ensure() {
  // The state folder is root's alone (0700): it holds copies of every file gpucfg replaced
  // (a 0600 one included) and the journal that recovery replays as root. A folder made by an
  // older gpucfg (0755) is closed the first time.
  if (Status s = disk::make_dirs(m_disk, disk::parent_of(dir())); !s.empty()) return s;
  if (Status s = m_disk.make_dir(dir(), 0700); !s.empty()) return s;
  if (auto st = m_disk.lstat(dir()); st && (st->mode & 077))
    if (Status s = m_disk.set_mode(dir(), 0700); !s.empty()) return s;
  for (const char* sub : {"/generations", "/blobs"})
    if (Status s = m_disk.make_dir(dir() + sub, 0700); !s.empty()) return s;
  return "";
}

plan::Generation StateStore::current() const {
  auto text = m_disk.read(dir() + "/current.json");
  if (!text) return {};
  auto j = nlohmann::json::parse(*text, nullptr, false);
  return j.is_discarded() ? plan::Generation{} : j.get<plan::Generation>();
}

std::optional<plan::Generation> StateStore::generation(int n) const {
  auto text = m_disk.read(dir() + "/generations/" + std::to_string(n) + ".json");
  if (!text) return std::nullopt;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j.get<plan::Generation>();
}

std::vector<plan::Generation> StateStore::history() const {
  std::vector<plan::Generation> out;
  for (int n = 1; n <= current().number; ++n)
    if (auto g = generation(n)) out.push_back(*g);
  return out;
}

Status StateStore::commit(const plan::Generation& g) {
  std::string text = nlohmann::json(g).dump(2) + "\n";
  if (Status s = disk::write_atomic(
          m_disk, dir() + "/generations/" + std::to_string(g.number) + ".json", text);
      !s.empty())
    return s;
  return disk::write_atomic(m_disk, dir() + "/current.json", text);
}

std::map<std::string, plan::ManagedEntry> StateStore::originals() const {
  std::map<std::string, plan::ManagedEntry> out;
  auto text = m_disk.read(dir() + "/originals.json");
  if (!text) return out;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_discarded()) out = j.get<std::map<std::string, plan::ManagedEntry>>();
  return out;
}

std::vector<std::string> StateStore::created_folders() const {
  plan::Generation g = current();
  if (!g.folders.empty() || g.number == 0) return g.folders;
  std::vector<std::string> out;
  auto text = m_disk.read(dir() + "/folders.json");
  auto j = text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
  if (j.is_array())
    for (const auto& f : j)
      if (f.is_string()) out.push_back(f.get<std::string>());
  return out;
}

Status StateStore::save_originals(const std::map<std::string, plan::ManagedEntry>& o) {
  return disk::write_atomic(m_disk, dir() + "/originals.json", nlohmann::json(o).dump(2) + "\n");
}

Status StateStore::note_failure(int generation, const std::string& manifest,
                                const std::string& error) {
  nlohmann::json j = {{"generation", generation}, {"manifest", manifest}, {"error", error}};
  return disk::write_atomic(m_disk, failure_file(), j.dump(2) + "\n");
}

Status StateStore::keep_blob(const std::string& host_file, const std::string& sha) {
  std::string dest = blob(sha);
  if (sha.empty() || disk::exists(m_disk, dest)) return "";
  std::string tmp = dest + ".tmp";
  m_disk.remove(tmp);
  // A copy, not a hard link: an in-place edit of the managed file must not change the blob.
  if (Status s = m_disk.copy(host_file, tmp, 0444, nullptr); !s.empty()) return s;
  return m_disk.rename(tmp, dest);
}

Lock::Lock(const StateStore& store, const std::string& operation, int wait_s) {
  std::string path = store.dir() + "/lock", owner_path = store.dir() + "/lock.owner";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
  // The holder writes its note right after it takes the lock and removes it just before it lets
  // go: finding no note means it is starting or leaving, so look (and try) again a moment.
  int grace = 25;
  while (!m_lock.try_lock(path)) {
    if (!m_lock.error().empty()) {
      m_message = m_lock.error();
      return;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      auto note = disk::real_disk().read(owner_path);
      if ((!note || note->empty()) && grace-- > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      if (note && !note->empty()) {
        m_holder = *note;
      } else {
        // No note: a gpucfg starting or leaving, or something that is not gpucfg at all.
        std::string who = util::lock_holder(path);
        m_holder = who.empty() ? "(a process that left no note of who it is)"
                               : who + ", which left no note: it may not be gpucfg";
      }
      m_message =
          "another gpucfg holds the lock on " + store.dir() + ": " + m_holder +
          (wait_s ? " (waited " + std::to_string(wait_s) + " s)" : " (use --lock-timeout to wait)");
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // flock is released when its holder dies, so a leftover owner note means a crash: say so.
  if (auto prev = disk::real_disk().read(owner_path); prev && !prev->empty())
    m_message = "recovered the lock left by " + *prev + ", which is no longer running";
  std::time_t now = std::time(nullptr);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  disk::write_atomic(disk::real_disk(), owner_path,
                     "pid " + std::to_string(util::process_id()) + " on " + util::hostname() +
                         ", " + operation + " since " + when);
  m_owner_path = owner_path;
}

Lock::~Lock() {
  if (!m_lock.held()) return;
  disk::real_disk().remove(m_owner_path);
  m_lock.unlock();
}

} // namespace gpucfg::exec
