#include "session/lockfile.hpp"

#include "manifest/check.hpp"
#include "manifest/decode.hpp"
#include "manifest/loader.hpp"
#include "source/settings.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace fs = std::filesystem;

namespace gpucfg::session {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LockedArtifact, role, name, file, sha256, size,
                                                origins, via)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PlatformLock, resolved_sha256, artifacts)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LockFile, format_version, manifest, platforms)

namespace {

// Where an artifact comes from as the manifest says it: its locations without the machine's
// mirrors (those are this computer's setting, not the stack's).
std::vector<std::string> origins(const source::Artifact& a, const std::vector<std::string>& mirrors,
                                 const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& l : a.locations) {
    bool mirrored = std::any_of(mirrors.begin(), mirrors.end(), [&](const std::string& m) {
      return !m.empty() && util::starts_with(l, m);
    });
    if (mirrored) continue;
    std::string s = l;
    if (!dir.empty() && util::starts_with(s, dir + "/")) s = "." + s.substr(dir.size());
    out.push_back(s);
  }
  return out;
}

std::string key(const std::string& role, const std::string& name, const std::string& file) {
  return role + " " + (file.empty() ? name : file);
}

} // namespace

std::string lock_path(const std::string& manifest) {
  fs::path p(manifest);
  std::string stem = p.stem().string();
  return (p.parent_path() / (stem + ".lock.json")).string();
}

std::optional<LockFile> read_lock(const std::string& path, std::string* error) {
  std::ifstream in(path);
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    *error = path + ": not JSON; delete it and run gpucfg lock again";
    return std::nullopt;
  }
  try {
    auto lock = j.get<LockFile>();
    if (lock.format_version != 1) {
      *error = path + ": lock format " + std::to_string(lock.format_version) +
               " is not one this gpucfg reads (1)";
      return std::nullopt;
    }
    return lock;
  } catch (const std::exception& e) {
    *error = path + ": not a gpucfg lock: " + e.what();
    return std::nullopt;
  }
}

std::string lock_json_text(const LockFile& lock) {
  return nlohmann::json(lock).dump(2) + "\n";
}

std::string resolved_sha256(const manifest::Stack& stack, const std::string& manifest_path) {
  std::error_code ec;
  std::string dir = fs::absolute(manifest_path, ec).parent_path().lexically_normal().string();
  return util::sha256_hex(resolved_json(stack, dir, ".").dump());
}

std::optional<LockFile> make_lock(const std::string& manifest_path,
                                  const std::vector<std::string>& platforms, const PlanRequest& req,
                                  Context& ctx, Reporter& report) {
  auto kb = load_knowledge(ctx, report);
  if (!kb) return std::nullopt;
  std::vector<std::string> ids = platforms;
  if (ids.empty()) {
    util::Diagnostics scratch;
    auto loaded = manifest::load(manifest_path, ctx.sources, scratch);
    if (loaded.tree) ids = manifest::declared_platforms(*loaded.tree);
  }
  auto checked = manifest::check(manifest_path, ids, *kb, ctx.sources, ctx.diags);
  if (ctx.diags.has_errors() || checked.stacks.empty()) return std::nullopt;
  std::error_code ec;
  std::string dir = fs::absolute(manifest_path, ec).parent_path().lexically_normal().string();
  LockFile lock;
  lock.manifest = fs::path(manifest_path).filename().string();
  bool ok = true;
  for (const auto& stack : checked.stacks) {
    PlatformLock pl;
    pl.resolved_sha256 = resolved_sha256(stack, manifest_path);
    PlanRequest r = req;
    r.manifest = manifest_path;
    auto resolved = resolve_sources(stack, r, ctx);
    util::Diagnostics scratch; // read again only to leave the machine's mirrors out of the lock
    auto mirrors = source::load_settings(ctx.sources, scratch).mirrors;
    // --allow-unpinned: an archive nothing pins is fetched once and pinned by the lock (trust
    // on first use, said as such); the lock is then what later plans hold it to.
    if (req.allow_unpinned) {
      std::vector<source::Artifact*> unpinned;
      for (auto& [role, res] : resolved)
        for (auto& a : res.artifacts)
          if (a.sha256.empty()) unpinned.push_back(&a);
      if (!unpinned.empty() && !fetch_artifacts(unpinned, true, report)) ok = false;
    }
    for (auto& [role, res] : resolved) {
      for (const auto& e : res.errors) {
        report.error(stack.platform->id() + ": " + e);
        ok = false;
      }
      for (const auto& a : res.artifacts) {
        LockedArtifact la{role, a.name, a.file, a.sha256, a.size, origins(a, mirrors, dir), ""};
        if (!a.pip.empty())
          la.via = "wheel " + a.pip;
        else if (!res.indexes.empty())
          la.via = "redistrib " + res.indexes.front().file + " (sha256 " +
                   res.indexes.front().sha256 + ")";
        if (a.sha256.empty())
          report.warning(stack.platform->id() + ": " + a.name +
                         " has no pin; the lock says so, and plan keeps refusing it");
        pl.artifacts.push_back(std::move(la));
      }
    }
    std::sort(pl.artifacts.begin(), pl.artifacts.end(), [](const auto& x, const auto& y) {
      return key(x.role, x.name, x.file) < key(y.role, y.name, y.file);
    });
    lock.platforms[stack.platform->id()] = std::move(pl);
  }
  if (!ok) return std::nullopt;
  return lock;
}

std::vector<std::string> hold_to_lock(const LockFile& lock, const std::string& lock_file,
                                      const manifest::Stack& stack,
                                      const std::string& manifest_path,
                                      std::map<std::string, source::Resolved>& resolved) {
  std::string update = "Run `gpucfg lock --update " + manifest_path + "` and review the change";
  std::vector<std::string> errors;
  auto it = lock.platforms.find(stack.platform->id());
  if (it == lock.platforms.end())
    return {lock_file + " has no entry for " + stack.platform->id() + ". " + update};
  const PlatformLock& pl = it->second;
  bool other_version = pl.resolved_sha256 != resolved_sha256(stack, manifest_path);
  std::map<std::string, const LockedArtifact*> want;
  std::size_t packages = 0; // toolkit and cuDNN artifacts: the plan resolves all of them
  for (const auto& la : pl.artifacts) {
    want[key(la.role, la.name, la.file)] = &la;
    packages += la.role != "python";
  }
  // One line per cause, naming what it concerns, and the command that fixes them all once: a
  // stale lock is one problem, however many artifacts it lists.
  std::vector<std::string> unlisted, repinned;
  std::size_t seen = 0;
  for (auto& [role, res] : resolved)
    for (auto& a : res.artifacts) {
      auto w = want.find(key(role, a.name, a.file));
      if (w == want.end()) {
        unlisted.push_back(role + " " + a.name);
        continue;
      }
      seen += role != "python"; // an environment's wheels: those of the interpreter found
      const LockedArtifact& la = *w->second;
      if (a.sha256.empty()) {
        a.sha256 = la.sha256; // pinned by the lock, not the manifest
      } else if (!la.sha256.empty() && a.sha256 != la.sha256) {
        repinned.push_back(role + " " + a.name + " (the manifest pins " + a.sha256.substr(0, 12) +
                           ", the lock " + la.sha256.substr(0, 12) + ")");
      }
      if (!a.size) a.size = la.size;
    }
  auto some = [](std::vector<std::string> names) {
    std::size_t n = names.size();
    if (n > 4) names.resize(3), names.push_back("and " + std::to_string(n - 3) + " more");
    return util::join(names, ", ");
  };
  std::vector<std::string> causes;
  if (other_version) causes.push_back("it was made from another version of the manifest");
  if (!unlisted.empty()) causes.push_back("it does not list " + some(unlisted));
  if (!repinned.empty()) causes.push_back("its pins differ for " + some(repinned));
  if (seen < packages)
    causes.push_back("it lists " + std::to_string(packages - seen) +
                     " artifact(s) the manifest no longer resolves to");
  if (!causes.empty())
    errors.push_back(lock_file + " is not current for " + stack.platform->id() + ": " +
                     util::join(causes, "; ") + ". " + update);
  return errors;
}

} // namespace gpucfg::session
