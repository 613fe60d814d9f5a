#include "knowledge/knowledge.hpp"

#include "util/os.hpp"
#include "util/strings.hpp"
#include "yaml/cache.hpp"
#include "yaml/fields.hpp"
#include "yaml/reader.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;

namespace gpucfg::knowledge {

using yaml::Fields;
using yaml::Value;

std::string SourceRef::cite() const {
  std::string s = title.empty() ? id : title;
  if (!url.empty()) s += " <" + url + ">";
  if (!status.empty() && status != "confirmed") s += " [" + status + "]";
  return s;
}

// GPUCFG_DATA_DIR first (an explicit choice wins); then beside the binary as installed
// (<prefix>/bin/gpucfg -> <prefix>/share/gpucfg), so a moved or relocated install still finds
// its data; then the source tree a build-tree binary was built from.
std::string data_dir() {
  if (const char* env = std::getenv("GPUCFG_DATA_DIR"); env && *env) return env;
  static const std::string found = [] {
    std::error_code ec;
    fs::path exe = fs::u8path(util::self_path());
    if (!exe.empty()) {
      fs::path share = exe.parent_path().parent_path() / "share" / "gpucfg";
      if (fs::is_directory(share / "knowledge", ec)) return share.string();
    }
    return std::string(GPUCFG_DEFAULT_DATA_DIR);
  }();
  return found;
}

// Reads the data files into a Knowledge. Field errors are collected, not thrown.
class Loader {
public:
  Loader(Knowledge& k, util::Diagnostics& d) : m_k(k), m_diags(d) {}

  std::string str(Fields& f, const char* key, bool required = true) {
    const Value* v = required ? f.require(key) : f.get(key);
    if (!v || v->is_null()) return {};
    return yaml::scalar_text(*v, key, m_diags).value_or("");
  }

  std::optional<util::Version> ver(Fields& f, const char* key, bool required = true) {
    const Value* v = required ? f.require(key) : f.get(key);
    if (!v || v->is_null()) return std::nullopt;
    std::string why;
    auto out = v->is_scalar() ? util::Version::parse(v->scalar, &why) : std::nullopt;
    if (!out)
      m_diags.error(v->mark,
                    "bad version in knowledge data: " + (why.empty() ? v->kind_name() : why));
    return out;
  }

  std::optional<util::VersionRange> range(Fields& f, const char* key, bool required = true) {
    const Value* v = required ? f.require(key) : f.get(key);
    if (!v || v->is_null()) return std::nullopt;
    std::string why;
    auto out = v->is_scalar() ? util::VersionRange::parse(v->scalar, &why) : std::nullopt;
    if (!out) m_diags.error(v->mark, "bad version range in knowledge data: " + why);
    return out;
  }

  SourceRef source(Fields& f) {
    std::string id = str(f, "source");
    SourceRef ref;
    auto it = m_k.m_sources.find(id);
    if (it != m_k.m_sources.end())
      ref = it->second;
    else if (!id.empty())
      m_diags.error(f.value().mark, "unknown source '" + id + "'");
    ref.id = id;
    ref.mark = f.value().mark;
    // A row may weaken its source's status ("inferred" from a confirmed table).
    if (std::string st = str(f, "status", false); !st.empty()) ref.status = st;
    return ref;
  }

  template <class Fn> void rows(const Value& doc, const char* key, Fn fn) {
    const Value* list = doc.find(key);
    if (!list || !list->is_sequence()) {
      m_diags.error(doc.mark, std::string("knowledge file needs a list '") + key + "'");
      return;
    }
    for (std::size_t i = 0; i < list->items.size(); ++i) {
      Fields f(*list->items[i], std::string(key) + "[" + std::to_string(i) + "]", m_diags);
      fn(f);
    }
  }

  void sources(const Value& doc) {
    const Value* map = doc.find("sources");
    if (!map || !map->is_mapping())
      return m_diags.error(doc.mark, "knowledge file needs 'sources'");
    for (const auto& [k, v] : map->entries) {
      Fields f(*v, "sources." + k->scalar, m_diags);
      SourceRef r;
      r.id = k->scalar;
      r.title = str(f, "title");
      r.url = str(f, "url");
      r.status = str(f, "status");
      r.mark = k->mark;
      m_k.m_sources[r.id] = r;
    }
  }

  void drivers(const Value& doc) {
    rows(doc, "toolkit_driver", [&](Fields& f) {
      ToolkitDriver d;
      d.cuda = ver(f, "cuda").value_or(util::Version());
      d.label = str(f, "label");
      d.linux = ver(f, "linux");
      d.windows = ver(f, "windows", false);
      f.get("windows");
      if (const Value* pre = f.get("prerelease"))
        d.prerelease = yaml::boolean(*pre, "prerelease", m_diags).value_or(false);
      d.source = source(f);
      m_k.m_drivers.push_back(d);
    });
    rows(doc, "minor_version_compat", [&](Fields& f) {
      MinorCompat m;
      m.cuda_major = ver(f, "cuda_major").value_or(util::Version()).major();
      m.linux = ver(f, "linux");
      m.windows = ver(f, "windows");
      m.below = ver(f, "below", false);
      f.get("below");
      m.source = source(f);
      m_k.m_minor.push_back(m);
    });
  }

  void archs(const Value& doc) {
    rows(doc, "architectures", [&](Fields& f) {
      Arch a;
      a.sm = ver(f, "sm").value_or(util::Version());
      a.name = str(f, "name", false);
      a.added = ver(f, "added", false);
      a.removed = ver(f, "removed", false);
      a.renamed_to = ver(f, "renamed_to", false);
      f.allow({"name", "added", "removed"});
      a.source = source(f);
      m_k.m_archs.push_back(a);
    });
  }

  void cudnn(const Value& doc) {
    rows(doc, "releases", [&](Fields& f) {
      CudnnRelease r;
      r.version = ver(f, "version", false);
      r.range = range(f, "range", false);
      if (!r.version && !r.range)
        m_diags.error(f.value().mark, "a cuDNN row needs 'version' or 'range'");
      if (const Value* b = f.require("builds"))
        for (const Value* e : yaml::scalar_list(*b, "builds", m_diags))
          if (auto v = util::Version::parse(e->scalar)) r.builds.push_back(*v);
      if (const Value* s = f.get("sha256"); s && s->is_mapping())
        for (const auto& [k, v] : s->entries)
          r.sha256[k->scalar] = v->scalar;
      r.note = str(f, "note", false);
      r.source = source(f);
      m_k.m_cudnn.push_back(r);
    });
    rows(doc, "files", [&](Fields& f) {
      CudnnFiles c;
      c.major = ver(f, "major").value_or(util::Version()).major();
      c.os = str(f, "os");
      for (const char* key : {"files", "libraries"})
        if (const Value* l = f.get(key))
          for (const Value* e : yaml::scalar_list(*l, key, m_diags))
            (std::string(key) == "files" ? c.files : c.libraries).push_back(e->scalar);
      c.source = source(f);
      m_k.m_cudnn_files.push_back(c);
    });
  }

  void frameworks(const Value& doc) {
    rows(doc, "tensorflow", [&](Fields& f) {
      TensorflowBuild t;
      t.version = ver(f, "version").value_or(util::Version());
      t.tested_as = ver(f, "tested_as", false).value_or(t.version);
      f.allow({"keep"}); // why a row keeps an older patch: a maintainers' note for tools/
      t.os = str(f, "os");
      t.cuda = ver(f, "cuda").value_or(util::Version());
      t.cudnn = ver(f, "cudnn").value_or(util::Version());
      t.python = str(f, "python");
      t.python_range = range(f, "python_range").value_or(util::VersionRange());
      t.compiler = str(f, "compiler");
      t.source = source(f);
      m_k.m_tf.push_back(t);
    });
    rows(doc, "pytorch", [&](Fields& f) {
      PytorchRelease p;
      p.version = ver(f, "version").value_or(util::Version());
      p.python_range = range(f, "python_range").value_or(util::VersionRange());
      if (const Value* vs = f.require("variants"); vs && vs->is_sequence())
        for (const auto& item : vs->items) {
          Fields vf(*item, "variants", m_diags);
          PytorchVariant v;
          v.cuda = ver(vf, "cuda").value_or(util::Version());
          v.cudnn = ver(vf, "cudnn").value_or(util::Version());
          // A variant may cite its own source where it differs from the release's matrix row
          // (the wheel's own metadata wins); it must be a known id.
          if (vf.get("source")) source(vf);
          v.channel = str(vf, "channel");
          p.variants.push_back(v);
        }
      p.source = source(f);
      m_k.m_torch.push_back(p);
    });
    rows(doc, "platform_rules", [&](Fields& f) {
      PlatformRule r;
      r.framework = str(f, "framework");
      r.versions = range(f, "versions").value_or(util::VersionRange());
      r.platform = str(f, "platform");
      if (const Value* s = f.require("supported"))
        r.supported = yaml::boolean(*s, "supported", m_diags).value_or(false);
      r.why = str(f, "why");
      r.source = source(f);
      m_k.m_rules.push_back(r);
    });
  }

  void compilers(const Value& doc) {
    rows(doc, "host_compilers", [&](Fields& f) {
      HostCompilers h;
      h.cuda = ver(f, "cuda").value_or(util::Version());
      h.gcc = range(f, "gcc").value_or(util::VersionRange());
      h.msvc = range(f, "msvc").value_or(util::VersionRange());
      h.source = source(f);
      m_k.m_compilers.push_back(h);
    });
  }

private:
  Knowledge& m_k;
  util::Diagnostics& m_diags;
};

std::optional<Knowledge> Knowledge::load(const std::string& dir, util::SourceSet& sources,
                                         util::Diagnostics& diags, const std::string& cache_dir) {
  Knowledge k;
  Loader loader(k, diags);
  std::size_t before = diags.error_count();
  auto read = [&](const char* name) {
    return yaml::read_yaml_file_cached(dir + "/knowledge/" + name, cache_dir, sources, diags);
  };
  // sources.yaml first: every other row refers to it.
  if (auto doc = read("sources.yaml")) loader.sources(*doc);
  if (auto doc = read("cuda-driver.yaml")) loader.drivers(*doc);
  if (auto doc = read("cuda-arch.yaml")) loader.archs(*doc);
  if (auto doc = read("cudnn.yaml")) loader.cudnn(*doc);
  if (auto doc = read("frameworks.yaml")) loader.frameworks(*doc);
  if (auto doc = read("nvcc-host-compilers.yaml")) loader.compilers(*doc);
  if (diags.error_count() > before) return std::nullopt;
  return k;
}

const ToolkitDriver* Knowledge::toolkit_driver(const util::Version& cuda) const {
  const ToolkitDriver* best = nullptr;
  for (const auto& d : m_drivers)
    if (!d.prerelease && (d.cuda.has_prefix(cuda) || cuda.has_prefix(d.cuda)))
      if (!best || d.cuda < best->cuda) best = &d;
  return best;
}

const MinorCompat* Knowledge::minor_compat(unsigned long major) const {
  for (const auto& m : m_minor)
    if (m.cuda_major == major) return &m;
  return nullptr;
}

const Arch* Knowledge::arch(const util::Version& sm) const {
  for (const auto& a : m_archs)
    if (a.sm == sm) return &a;
  return nullptr;
}

std::vector<const CudnnRelease*> Knowledge::cudnn(const util::Version& v) const {
  std::vector<const CudnnRelease*> out;
  for (const auto& r : m_cudnn) {
    bool hit = (r.version && (r.version->has_prefix(v) || v.has_prefix(*r.version))) ||
               (r.range && r.range->contains(v));
    if (hit) out.push_back(&r);
  }
  return out;
}

std::vector<std::string> CudnnFiles::of(const util::Version& v) const {
  std::vector<std::string> out = files;
  std::string full = v.truncated(3).str();
  for (const auto& l : libraries) {
    out.push_back("lib/" + l + ".so." + std::to_string(major));
    if (v.size() >= 3) out.push_back("lib/" + l + ".so." + full); // "8.1" names no patch
  }
  std::sort(out.begin(), out.end());
  return out;
}

const CudnnFiles* Knowledge::cudnn_files(const util::Version& v, const std::string& os) const {
  for (const auto& f : m_cudnn_files)
    if (f.major == v.major() && f.os == os) return &f;
  return nullptr;
}

const TensorflowBuild* Knowledge::tensorflow(const util::Version& v, const std::string& os) const {
  for (const auto& t : m_tf)
    if (t.os == os && (t.version.has_prefix(v) || v.has_prefix(t.version.truncated(2)))) return &t;
  return nullptr;
}

const PytorchRelease* Knowledge::pytorch(const util::Version& v) const {
  for (const auto& p : m_torch)
    if (v.truncated(2) == p.version.truncated(2)) return &p;
  return nullptr;
}

const PlatformRule* Knowledge::platform_rule(const std::string& fw, const util::Version& v,
                                             const std::string& platform) const {
  for (const auto& r : m_rules)
    if (r.framework == fw && r.platform == platform && r.versions.contains(v)) return &r;
  return nullptr;
}

const HostCompilers* Knowledge::host_compilers(const util::Version& cuda) const {
  const HostCompilers* best = nullptr;
  // Plain comparison, missing components zero: a row for a full release ("11.4.1": gcc 11 is
  // accepted from that update on) applies to 11.4.1 and later, while a manifest that says only
  // "11.4" means its GA (11.4.0) and gets the row before.
  for (const auto& h : m_compilers)
    if (h.cuda <= cuda && (!best || h.cuda > best->cuda)) best = &h;
  return best;
}

const SourceRef* Knowledge::source(const std::string& id) const {
  auto it = m_sources.find(id);
  return it == m_sources.end() ? nullptr : &it->second;
}

} // namespace gpucfg::knowledge
