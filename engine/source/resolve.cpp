#include "source/resolve.hpp"

#include "disk/fsops.hpp"
#include "pyenv/lock.hpp"
#include "source/fetch.hpp"
#include "source/redistrib.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

#include <nlohmann/json.hpp>

namespace gpucfg::source {
namespace {

// file://, http://, https://: taken as written, never joined with the manifest's folder.
bool has_scheme(const std::string& l) {
  return l.find("://") != std::string::npos;
}

std::string dir_of(const std::string& p) {
  auto pos = p.rfind('/');
  return pos == std::string::npos ? "." : p.substr(0, pos);
}

std::string base_name(const std::string& p) {
  auto pos = p.rfind('/');
  return pos == std::string::npos ? p : p.substr(pos + 1);
}

// A location as written in the manifest, as a path on this computer (or a URL): an absolute
// path is the machine's (under --root), a relative one is beside the manifest.
std::string absolute(const std::string& location, const util::Mark& mark, const std::string& root) {
  if (has_scheme(location) || location.empty()) return location;
  if (location[0] == '/') return root + location;
  return dir_of(mark.file) + "/" + location;
}

std::string join_url(const std::string& base, const std::string& rel) {
  if (base.empty()) return rel;
  return base.back() == '/' ? base + rel : base + "/" + rel;
}

// The index's text: from its path, a mirror, the cache, or (unless offline) a download.
std::optional<std::string> index_text(const manifest::Source& src, const std::string& location,
                                      const std::string& what, const ResolveOptions& o,
                                      Resolved& r) {
  const auto& pin = src.artifacts.front().sha256;
  Artifact idx;
  idx.name = what + " index " + base_name(location);
  idx.sha256 = pin;
  for (const auto& m : src.mirrors)
    idx.locations.push_back(join_url(m, base_name(location)));
  idx.locations.push_back(location);
  idx.file = idx.mirror_path = base_name(location);
  if (local_path(location).empty() && pin.empty() && !o.allow_unpinned) {
    r.errors.push_back(what + ": the index " + location +
                       " is downloaded, so it needs a sha256 pin (or --allow-unpinned)");
    return std::nullopt;
  }
  if (o.offline && availability(idx, o.cache_dir) == "download") {
    r.errors.push_back(what + ": the index " + location +
                       " is not in the cache and gpucfg is offline; run `gpucfg fetch` where it "
                       "can be downloaded");
    return std::nullopt;
  }
  FetchOptions fo;
  fo.cache_dir = o.cache_dir;
  fo.allow_unpinned = true; // checked above: only a local index may go unpinned
  FetchResult f = fetch(idx, fo);
  if (!f.error.empty()) {
    r.errors.push_back(what + ": " + f.error);
    return std::nullopt;
  }
  idx.sha256 = f.sha256;
  r.indexes.push_back(idx);
  return disk::read_text(f.path);
}

void from_index(const manifest::Source& src, const std::string& what, const ResolveOptions& o,
                Resolved& r) {
  std::string location =
      absolute(src.artifacts.front().location, src.artifacts.front().mark, o.root);
  auto text = index_text(src, location, what, o, r);
  if (!text) return;
  std::string err;
  auto index = parse_redistrib(*text, &err);
  if (!index) {
    r.errors.push_back(what + ": " + location + " is not a redistrib index: " + err);
    return;
  }
  bool cudnn = what == "cudnn.source";
  std::vector<std::string> wanted = src.components;
  if (wanted.empty() && cudnn) wanted = {"cudnn"};
  if (wanted.empty()) {
    r.errors.push_back(what + ": name the components to install from " + base_name(location) +
                       " (components: [cuda_nvcc, cuda_cudart, …]); a whole release is rarely "
                       "what a stack needs");
    return;
  }
  std::string base = src.base_url.empty() ? dir_of(location) : src.base_url;
  std::string major = o.cuda_version.substr(0, o.cuda_version.find('.'));
  nlohmann::json vj = nlohmann::json::object();
  for (const auto& key : wanted) {
    const RedistComponent* c = find_component(*index, key);
    if (!c) {
      std::vector<std::string> names;
      for (const auto& x : index->components)
        names.push_back(x.key);
      r.errors.push_back(what + ": " + base_name(location) + " has no component '" + key +
                         "' (it has: " + util::join(names, ", ") + ")");
      continue;
    }
    auto archive = select_archive(*c, o.platform_id, major, &err);
    if (!archive) {
      r.errors.push_back(what + ": " + err);
      continue;
    }
    Artifact a;
    a.name = c->key + " " + c->version;
    a.component = c->key;
    a.file = base_name(archive->relative_path);
    a.sha256 = archive->sha256;
    a.size = archive->size;
    a.unpacked_size = archive->unpacked_size;
    a.layout = "redist";
    a.mirror_path = archive->relative_path;
    for (const auto& m : src.mirrors)
      a.locations.push_back(join_url(m, archive->relative_path));
    a.locations.push_back(join_url(base, archive->relative_path));
    r.artifacts.push_back(a);
    vj[c->key] = {{"name", c->name}, {"version", c->version}};
  }
  if (!cudnn) {
    std::string label = index->release_label.empty() ? o.cuda_version : index->release_label;
    vj["cuda"] = {{"name", "CUDA SDK"}, {"version", label}};
    r.version_json = vj.dump(2) + "\n";
  }
}

} // namespace

void check_available(Resolved& r, const std::string& what, const ResolveOptions& o);

Resolved resolve(const manifest::Source& written, const std::string& what,
                 const ResolveOptions& o) {
  Resolved r;
  manifest::Source src = written;
  for (auto& m : src.mirrors) // the manifest's own; the machine's settings are this computer's
    m = absolute(m, src.mark, o.root);
  src.mirrors.insert(src.mirrors.begin(), o.mirrors.begin(), o.mirrors.end());
  using K = manifest::Source::Kind;
  if (src.kind == K::adopt || src.kind == K::directory || src.artifacts.empty()) return r;
  if (src.kind == K::redistrib) {
    from_index(src, what, o, r);
  } else if (src.kind == K::archive) {
    const auto& art = src.artifacts.front();
    Artifact a;
    std::string location = absolute(art.location, art.mark, o.root);
    a.file = a.mirror_path = base_name(location);
    a.name = a.file;
    a.sha256 = art.sha256;
    a.size = src.size;
    a.unpacked_size = src.unpacked_size;
    a.layout = src.layout;
    a.components = src.components.empty() && what == "cuda.source" ? o.components : src.components;
    for (const auto& m : src.mirrors)
      a.locations.push_back(join_url(m, a.file));
    a.locations.push_back(location);
    r.artifacts.push_back(a);
  } else if (src.kind == K::wheels) {
    for (const auto& w : src.artifacts) {
      Artifact a;
      a.name = w.location;
      a.component = w.location.substr(0, w.location.find("=="));
      a.sha256 = w.sha256;
      a.layout = "wheel";
      if (!w.url.empty()) {
        std::string url = absolute(w.url, w.mark, o.root);
        a.file = a.mirror_path = base_name(url);
        for (const auto& m : src.mirrors)
          a.locations.push_back(join_url(m, a.file));
        a.locations.push_back(url);
      } else {
        a.pip = w.location;
        a.find_links = src.mirrors;
      }
      r.artifacts.push_back(a);
    }
  }
  check_available(r, what, o);
  return r;
}

Resolved resolve_wheels(const std::vector<manifest::LockedWheel>& wheels, const std::string& index,
                        const ResolveOptions& o) {
  Resolved r;
  auto add = [&](const manifest::LockedWheel& w, const std::string& build_of) {
    Artifact a;
    // "name-version-…whl" or an sdist's "name-version.tar.gz" (the name may hold '-' there)
    std::string stem, version;
    if (auto sd = w.sdist() ? pyenv::parse_sdist_name(w.wheel) : std::nullopt) {
      stem = sd->name;
      version = sd->version;
    } else {
      stem = w.wheel.substr(0, w.wheel.find('-'));
      std::string rest = w.wheel.substr(stem.size() + 1);
      version = rest.substr(0, rest.find('-'));
    }
    a.name = stem + " " + version;
    a.component = stem;
    a.file = a.mirror_path = w.wheel;
    a.sha256 = w.sha256;
    a.layout = w.sdist() ? "sdist" : "python";
    a.build_of = build_of;
    for (const auto& m : o.mirrors)
      a.locations.push_back(join_url(m, w.wheel));
    if (!w.url.empty()) a.locations.push_back(absolute(w.url, w.mark, o.root));
    a.index = index.empty() ? "https://pypi.org/simple" : index;
    r.artifacts.push_back(a);
  };
  for (const auto& w : wheels) {
    add(w, "");
    for (const auto& b : w.build)
      add(b, w.wheel);
  }
  check_available(r, "python.lock", o);
  return r;
}

void check_available(Resolved& r, const std::string& what, const ResolveOptions& o) {
  for (auto& a : r.artifacts) {
    if (a.sha256.empty() && !o.allow_unpinned)
      r.errors.push_back(what + ": " + a.name +
                         " has no sha256 pin; add one (or pass --allow-unpinned)");
    a.available = availability(a, o.cache_dir);
    if (a.available == "missing")
      r.errors.push_back(what + ": " + a.name + " is not in the cache and not at " +
                         util::join(a.locations, ", "));
    else if (o.offline && (a.available == "download" || a.available == "pip"))
      r.errors.push_back(what + ": " + a.name +
                         " is not in the cache and gpucfg is offline; `gpucfg fetch` it first");
  }
}

} // namespace gpucfg::source
