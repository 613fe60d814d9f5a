#include "store/tree.hpp"

#include "disk/real_disk.hpp"

#include "util/fileinfo.hpp"
#include "util/sha256.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

namespace gpucfg::store {

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

std::optional<TreeRecord> parse_record(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  TreeRecord r;
  try {
    if (j.is_array()) {
      r.tree.files = j.get<std::vector<TreeFile>>();
    } else if (j.is_object() && j.contains("files")) {
      r.inputs = j.value("inputs", std::vector<std::string>{});
      r.tree.files = j.at("files").get<std::vector<TreeFile>>();
    } else {
      return std::nullopt;
    }
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  return r;
}

std::optional<TreeManifest> read_tree_record(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto r = parse_record(text);
  if (!r) return std::nullopt;
  return r->tree;
}

std::string record_text(const TreeRecord& r) {
  nlohmann::json j = {{"inputs", r.inputs}, {"files", r.tree.files}};
  return j.dump() + "\n";
}

TreeManifest scan_tree(const disk::Disk& d, const std::string& dir, bool hash, unsigned jobs) {
  TreeManifest m;
  for (const auto& e : disk::walk_unordered(d, dir, std::max(1u, jobs))) { // sorted below
    TreeFile f;
    f.path = e.path;
    if (e.stat.kind == disk::Kind::symlink) {
      f.kind = "symlink";
      f.sha256 = e.link_target;
    } else if (e.stat.kind == disk::Kind::file) {
      f.kind = "file";
      f.size = e.stat.size;
      f.mtime_ns = e.stat.mtime_ns;
      f.mode = e.stat.mode;
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
      f.sha256 = d.sha256(dir + "/" + f.path).value_or("");
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

TreeManifest scan_tree(const std::string& host_dir, bool hash, unsigned jobs) {
  return scan_tree(disk::real_disk(), host_dir, hash, jobs);
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

} // namespace gpucfg::store
