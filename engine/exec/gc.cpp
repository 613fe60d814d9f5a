#include "exec/gc.hpp"

#include "util/fileinfo.hpp"

#include <filesystem>
#include <set>

namespace gpucfg::exec {
namespace {

namespace fs = std::filesystem;

std::uint64_t regular_size(const fs::path& p) {
  auto st = util::lstat_info(p.u8string());
  return st && st->kind == util::FileInfo::Kind::file ? st->size : 0;
}

std::uint64_t size_of(const fs::path& p) {
  auto st = util::lstat_info(p.u8string());
  if (!st) return 0;
  if (st->kind != util::FileInfo::Kind::dir) return regular_size(p);
  std::uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec))
    total += regular_size(it->path());
  return total;
}

} // namespace

GcReport collect_garbage(const StateStore& store, int keep, bool dry_run) {
  GcReport r;
  auto history = store.history();
  int current = store.current().number;
  std::vector<plan::Generation> kept;
  for (const auto& g : history) {
    if (keep >= 0 && g.number != current && g.number <= current - std::max(keep, 1)) {
      r.forgotten.push_back(g.number);
      continue;
    }
    kept.push_back(g);
  }
  std::set<std::string> blobs, trees;
  for (const auto& g : kept)
    for (const auto& e : g.entries) {
      if (!e.sha256.empty()) blobs.insert(e.sha256); // file contents and tree records
      if (e.kind == "tree" && !e.sha256.empty()) trees.insert(e.sha256);
    }
  for (const auto& [path, e] : store.originals())
    if (!e.sha256.empty()) blobs.insert(e.sha256);

  auto sweep = [&](const std::string& dir, const std::set<std::string>& needed, bool is_tree) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (needed.count(name)) continue;
      r.bytes += size_of(it->path());
      if (is_tree)
        r.trees.push_back(name);
      else
        ++r.blobs;
      if (dry_run) continue;
      std::error_code rm;
      fs::remove_all(it->path(), rm);
      if (rm) r.errors.push_back(it->path().string() + ": " + rm.message());
    }
  };
  // Records first: a kill after this point leaves garbage for the next gc, never a generation
  // whose blobs are gone.
  if (!dry_run)
    for (int n : r.forgotten) {
      std::error_code ec;
      fs::remove(store.dir() + "/generations/" + std::to_string(n) + ".json", ec);
      if (ec) r.errors.push_back("generation " + std::to_string(n) + ": " + ec.message());
    }
  sweep(store.dir() + "/trees", trees, true);
  sweep(store.dir() + "/blobs", blobs, false);
  return r;
}

} // namespace gpucfg::exec
