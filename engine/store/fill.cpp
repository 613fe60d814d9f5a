#include "store/fill.hpp"

#include "source/archive.hpp"
#include "source/fetch.hpp"
#include "source/layout.hpp"
#include "util/os.hpp"
#include "util/sha256.hpp"

#include <algorithm>
#include <map>
#include <thread>

namespace gpucfg::store {

namespace {

// After a failed unpack: an archive in the store is trusted by its name (its sha256) and size
// until it is read, so one damaged since it was fetched fails as "not an archive". Checked only
// now, when it costs nothing on the good path: such a file is removed, so the next apply
// fetches it anew.
std::optional<Status> damaged_artifact(const std::vector<source::Artifact>& archives,
                                       const Store& store) {
  for (const auto& art : archives) {
    std::string file = source::locate(art, store.dir());
    if (art.sha256.empty() || file != store.artifact(art.sha256)) continue;
    std::string sha = util::sha256_file(file).value_or("");
    if (sha == art.sha256) continue;
    store.disk().remove(file);
    return art.name + ": the cached copy " + file + " is damaged (its sha256 is " + sha +
           ", not the pinned one); it was removed: apply again to fetch it anew";
  }
  return std::nullopt;
}

} // namespace

Status ArchiveUnpacker::unpack(const std::vector<source::Artifact>& archives,
                               const std::string& version_json, const std::string& target_arch,
                               const std::string& dir, TreeManifest* files) {
  std::vector<source::ExtractJob> jobs;
  unsigned cores = m_jobs ? m_jobs : util::usable_cores();
  for (const auto& art : archives) {
    std::string file = source::locate(art, m_store.dir());
    if (file.empty()) return art.name + ": not on this computer (run `gpucfg fetch` first)";
    for (auto& job : source::extraction_jobs(file, source::extract_options(art), cores))
      jobs.push_back(std::move(job));
  }
  auto results = source::extract_many(jobs, dir, m_jobs);
  for (const auto& r : results)
    if (!r.error.empty()) return damaged_artifact(archives, m_store).value_or(r.error);
  source::finish_tree(dir, target_arch);
  disk::Disk& d = m_store.disk();
  if (!version_json.empty() && !disk::exists(d, dir + "/version.json"))
    if (Status s = d.write(dir + "/version.json", version_json, 0644); !s.empty()) return s;
  // Each file's hash as the extractor computed it while the bytes went by (no second read).
  std::map<std::string, std::string> hashes;
  for (auto& r : results)
    hashes.merge(r.file_sha256);
  for (const auto& [path, sha] : hashes)
    files->files.push_back({path, "file", 0, 0, sha, 0});
  return "";
}

std::vector<ListedFile> list_folder(const disk::Disk& d, const std::string& dir) {
  std::vector<ListedFile> out;
  for (const auto& e : disk::walk(d, dir)) {
    if (e.stat.kind == disk::Kind::symlink)
      out.push_back({e.path, "symlink", e.link_target, 0, 0, 0});
    else if (e.stat.kind == disk::Kind::file)
      out.push_back({e.path, "file", "", e.stat.size, e.stat.mtime_ns, e.stat.mode});
  }
  return out;
}

Status copy_folder(disk::Disk& d, const std::string& from, const std::string& key,
                   const std::string& dir, TreeManifest* files) {
  if (!disk::is_dir(d, from)) return from + ": not a folder";
  if (folder_key(list_folder(d, from)) != key)
    return from + " changed since the plan listed it; plan again";
  for (const auto& e : disk::walk(d, from)) {
    std::string src = from + "/" + e.path, to = dir + "/" + e.path;
    Status s;
    if (e.stat.kind == disk::Kind::dir) {
      s = d.make_dir(to, source::installed_mode(e.stat.mode, true));
    } else if (e.stat.kind == disk::Kind::symlink) {
      s = d.symlink(e.link_target, to);
    } else if (e.stat.kind == disk::Kind::file) {
      std::string sha;
      s = d.copy(src, to, source::installed_mode(e.stat.mode, false), &sha);
      if (s.empty()) s = d.set_mtime(to, e.stat.mtime_ns);
      files->files.push_back({e.path, "file", 0, 0, sha, 0});
    }
    if (!s.empty()) return s;
  }
  return "";
}

} // namespace gpucfg::store
