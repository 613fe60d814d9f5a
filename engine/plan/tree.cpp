#include "plan/tree.hpp"

#include "util/fileinfo.hpp"
#include "util/sha256.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

namespace gpucfg::plan {

namespace fs = std::filesystem;

void to_json(nlohmann::json& j, const TreeFile& f) {
  j = nlohmann::json::array(
      {f.path, f.kind, f.size, f.mtime_ns, f.sha256, f.mode}); // compact: trees hold thousands
}

void from_json(const nlohmann::json& j, TreeFile& f) {
  f.path = j.at(0).get<std::string>();
  f.kind = j.at(1).get<std::string>();
  f.size = j.at(2).get<std::uint64_t>();
  f.mtime_ns = j.at(3).get<std::int64_t>();
  f.sha256 = j.at(4).get<std::string>();
  f.mode = j.size() > 5 ? j.at(5).get<unsigned>() : 0;
}

std::optional<TreeManifest> read_tree_record(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return std::nullopt;
  TreeManifest m;
  try {
    m.files = j.get<std::vector<TreeFile>>();
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  return m;
}

TreeManifest scan_tree(const std::string& host_dir, bool hash, unsigned jobs) {
  TreeManifest m;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(host_dir, ec), end; !ec && it != end; it.increment(ec)) {
    auto st = util::lstat_info(it->path().u8string());
    if (!st) continue;
    TreeFile f;
    f.path = it->path().lexically_relative(host_dir).generic_u8string(); // '/' on every platform
    if (st->kind == util::FileInfo::Kind::symlink) {
      f.kind = "symlink";
      f.sha256 = fs::read_symlink(it->path()).generic_u8string();
    } else if (st->kind == util::FileInfo::Kind::file) {
      f.kind = "file";
      f.size = st->size;
      f.mtime_ns = st->mtime_ns;
      f.mode = st->mode;
    } else {
      continue;
    }
    m.files.push_back(std::move(f));
  }
  std::sort(m.files.begin(), m.files.end(),
            [](const TreeFile& a, const TreeFile& b) { return a.path < b.path; });
  if (!hash) return m;
  // Largest files first, handed out one at a time, so the threads finish together.
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < m.files.size(); ++i)
    if (m.files[i].kind == "file") order.push_back(i);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return m.files[a].size > m.files[b].size; });
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t k; (k = next++) < order.size();) {
      TreeFile& f = m.files[order[k]];
      f.sha256 = util::sha256_file(host_dir + "/" + f.path).value_or("");
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < std::max(1u, jobs); ++t)
    threads.emplace_back(work);
  work();
  for (auto& t : threads)
    t.join();
  return m;
}

std::vector<std::string> tree_drift(const TreeManifest& recorded, const TreeManifest& now,
                                    std::size_t limit) {
  // Damage (removed, changed) before additions: a caller that truncates keeps what matters.
  std::vector<std::string> removed, changed, added;
  std::map<std::string, const TreeFile*> was;
  for (const auto& f : recorded.files)
    was[f.path] = &f;
  for (const auto& f : now.files) {
    auto it = was.find(f.path);
    if (it == was.end()) {
      added.push_back("+" + f.path);
      continue;
    }
    const TreeFile& r = *it->second;
    bool same = f.kind == r.kind && (f.kind == "symlink" ? f.sha256 == r.sha256
                                     : !f.sha256.empty() && !r.sha256.empty()
                                         ? f.sha256 == r.sha256 && f.size == r.size
                                         : f.size == r.size && f.mtime_ns == r.mtime_ns);
    if (!same)
      changed.push_back("~" + f.path);
    else if (f.mode && r.mode && f.mode != r.mode)
      changed.push_back("~" + f.path + " (mode)");
    was.erase(it);
  }
  for (const auto& [p, f] : was)
    removed.push_back("-" + p);
  std::vector<std::string> out;
  for (auto* list : {&removed, &changed, &added})
    for (auto& x : *list)
      if (out.size() < limit) out.push_back(std::move(x));
  return out;
}

} // namespace gpucfg::plan
