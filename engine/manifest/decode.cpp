#include "manifest/decoder.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <cctype>

namespace gpucfg::manifest {

namespace {

bool valid_name(const std::string& s, bool allow_dots) {
  if (s.empty() || !(std::isalnum(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
           (allow_dots && c == '.');
  });
}

const std::vector<std::string> k_os_names = {"linux", "windows"};

} // namespace

std::optional<Stack> decode(const Loaded& loaded, const platform::Platform& target,
                            util::Diagnostics& diags) {
  if (!loaded.tree) return std::nullopt;
  Decoder d(target, diags);
  return d.run(loaded);
}

std::vector<std::string> declared_platforms(const Value& tree) {
  std::vector<std::string> out;
  const Value* req = tree.find("requires");
  const Value* list = req ? req->find("platforms") : nullptr;
  if (!list) return out;
  if (list->is_scalar()) out.push_back(list->scalar);
  for (const auto& i : list->items)
    if (i->is_scalar()) out.push_back(i->scalar);
  return out;
}

std::optional<Stack> Decoder::run(const Loaded& loaded) {
  std::size_t before = m_diags.error_count();
  Stack s;
  s.files_read = loaded.files;
  s.platform = &m_platform;
  {
    Fields f(*loaded.tree, "the manifest", m_diags);
    top(f, s);
  }
  if (m_diags.error_count() > before) return std::nullopt;
  return s;
}

void Decoder::top(Fields& f, Stack& s) {
  if (const Value* v = f.require("apiVersion")) {
    s.api_version = v->is_scalar() ? v->scalar : "";
    if (s.api_version != "gpucfg/v1")
      m_diags.error(v->mark,
                    "unsupported apiVersion '" + s.api_version + "'; this gpucfg reads gpucfg/v1");
  }
  if (const Value* v = f.require("kind")) {
    s.kind = v->is_scalar() ? v->scalar : "";
    if (s.kind != "Stack") m_diags.error(v->mark, "kind must be 'Stack', not '" + s.kind + "'");
  }
  if (const Value* v = f.require("metadata")) {
    Fields m(*v, "metadata", m_diags);
    s.metadata.mark = v->mark;
    if (auto n = text(m.require("name"), "metadata.name")) {
      s.metadata.name = n->value;
      if (!valid_name(n->value, true))
        m_diags.error(n->mark, "metadata.name '" + n->value +
                                   "' may hold letters, digits, '.', '_' and '-' only");
    }
    if (auto d = text(m.get("description"), "metadata.description"))
      s.metadata.description = d->value;
    if (auto u = text(m.get("source"), "metadata.source")) {
      s.metadata.source = u->value;
      if (!util::starts_with(u->value, "https://") && !util::starts_with(u->value, "http://"))
        m_diags.error(u->mark, "metadata.source must be a URL (http:// or https://)");
    }
  }
  f.allow({"extends"}); // handled by the loader

  define_builtins(s);
  vars(f.get("vars"), s);
  framework(f.get("framework"), s);
  cuda(f.get("cuda"), s);
  cudnn(f.get("cudnn"), s);
  define_builtins(s);
  requirements(f.get("requires"), s);
  files(f.get("files"), s);
  env(f.get("env"), s);
  loader(f.get("loader"), s);
  python(f.get("python"), s);
  packages(f.get("packages"), s);
  verify(f.get("verify"), s);
}

void Decoder::define_builtins(const Stack& s) {
  m_scope.define("platform.id", m_platform.id());
  m_scope.define("platform.os", m_platform.os_name());
  m_scope.define("platform.arch", m_platform.arch());
  m_scope.define("platform.libdir", m_platform.libdir());
  m_scope.define("platform.bindir", m_platform.bindir());
  m_scope.define("metadata.name", s.metadata.name);
  if (s.cuda) {
    const auto& v = s.cuda->version.value;
    m_scope.define("cuda.version", v.str());
    m_scope.define("cuda.major", std::to_string(v.major()));
    m_scope.define("cuda.minor", std::to_string(v.minor()));
    m_scope.define("cuda.prefix", s.cuda->prefix.value);
  }
  if (s.cudnn) {
    const auto& v = s.cudnn->version.value;
    m_scope.define("cudnn.version", v.str());
    m_scope.define("cudnn.major", std::to_string(v.major()));
    m_scope.define("cudnn.prefix", s.cudnn->prefix.value);
  }
}

void Decoder::vars(const Value* v, Stack& s) {
  if (!v || v->is_null()) return;
  if (!v->is_mapping()) return m_diags.error(v->mark, "vars must be a mapping of name: value");
  for (const auto& [k, val] : v->entries) {
    if (!valid_name(k->scalar, false)) {
      m_diags.error(k->mark,
                    "variable name '" + k->scalar +
                        "' may hold letters, digits, '_' and '-' only (dotted names are gpucfg's)");
      continue;
    }
    if (!val->is_scalar()) {
      m_diags.error(val->mark, "vars." + k->scalar + " must be a string, not " + val->kind_name());
      continue;
    }
    m_scope.define(k->scalar, val->scalar, val->mark);
    s.vars[k->scalar] = {val->scalar, val->mark};
  }
}

void Decoder::framework(const Value* v, Stack& s) {
  if (!v) return;
  Fields f(*v, "framework", m_diags);
  Framework fw;
  fw.mark = v->mark;
  if (auto n = text(f.require("name"), "framework.name")) {
    fw.name = n->value;
    fw.name_mark = n->mark;
    static const std::vector<std::string> names = {"tensorflow", "pytorch"};
    if (std::find(names.begin(), names.end(), fw.name) == names.end())
      m_diags.error(n->mark, "framework.name must be tensorflow or pytorch, not '" + fw.name + "'" +
                                 util::did_you_mean(fw.name, names));
  }
  if (auto ver = version(f.require("version"), "framework.version")) {
    fw.version = ver->value;
    fw.version_mark = ver->mark;
  }
  fw.cuda = version(f.get("cuda"), "framework.cuda");
  s.framework = fw;
}

void Decoder::requirements(const Value* v, Stack& s) {
  if (!v) return;
  Fields f(*v, "requires", m_diags);
  Requires& r = s.requires_;
  if (const Value* d = f.get("driver")) {
    if (d->is_scalar()) {
      for (const auto& os : k_os_names)
        if (auto rg = range(d, "requires.driver")) r.driver.push_back({os, rg->value, rg->mark});
    } else {
      Fields df(*d, "requires.driver", m_diags);
      for (const auto& os : k_os_names)
        if (auto rg = range(df.get(os), "requires.driver." + os))
          r.driver.push_back({os, rg->value, rg->mark});
    }
  }
  // One range, or one per OS: a wheel build's PTX (what lets newer GPUs JIT) may be on one
  // OS only (PyTorch's cu130 wheels carry it on Linux, not Windows).
  if (const Value* cc = f.get("compute_capability")) {
    if (cc->is_scalar()) {
      r.compute_capability = range(cc, "requires.compute_capability");
    } else {
      Fields cf(*cc, "requires.compute_capability", m_diags);
      for (const auto& os : k_os_names) {
        auto rg = range(cf.get(os), "requires.compute_capability." + os);
        if (rg && os == m_platform.os_name()) r.compute_capability = rg;
      }
    }
  }
  if (auto py = range(f.get("python"), "requires.python")) r.python = py;
  if (const Value* p = f.get("platforms")) {
    auto ids = platform::known_ids();
    for (const Value* e : yaml::scalar_list(*p, "requires.platforms", m_diags)) {
      if (!platform::find(e->scalar))
        m_diags.error(e->mark, "unknown platform '" + e->scalar +
                                   "' (known: " + util::join(ids, ", ") + ")" +
                                   util::did_you_mean(e->scalar, ids));
      r.platforms.push_back({e->scalar, e->mark});
    }
  }
  if (const Value* hc = f.get("host_compiler")) {
    Fields hf(*hc, "requires.host_compiler", m_diags);
    for (const auto& os : k_os_names) {
      const Value* per = hf.get(os);
      if (!per) continue;
      Fields cf(*per, "requires.host_compiler." + os, m_diags);
      for (const char* comp : {"gcc", "clang", "msvc"})
        if (auto rg = range(cf.get(comp), "requires.host_compiler." + os + "." + comp))
          r.host_compiler.push_back({os, comp, rg->value, rg->mark});
    }
  }
}

void Decoder::cuda(const Value* v, Stack& s) {
  if (!v || v->is_null()) return;
  Fields f(*v, "cuda", m_diags);
  Cuda c;
  c.mark = v->mark;
  auto ver = version(f.require("version"), "cuda.version");
  if (!ver) return;
  c.version = *ver;
  // The prefix may name the version: prefix: /opt/cuda-${cuda.version}
  m_scope.define("cuda.version", c.version.value.str());
  m_scope.define("cuda.major", std::to_string(c.version.value.major()));
  m_scope.define("cuda.minor", std::to_string(c.version.value.minor()));
  if (const Value* p = f.get("prefix")) {
    if (auto pp = path(p, "cuda.prefix")) {
      c.prefix = *pp;
      c.prefix_is_default = false;
    }
  } else {
    c.prefix = {m_platform.default_cuda_prefix(c.version.value), ver->mark, true};
  }
  if (const Value* comps = f.get("components"))
    for (const Value* e : yaml::scalar_list(*comps, "cuda.components", m_diags))
      if (auto t = text(e, "cuda.components")) c.components.push_back(*t);
  c.source = source(f.get("source"), "cuda.source");
  if (const Value* a = f.get("active"))
    c.active = yaml::boolean(*a, "cuda.active", m_diags).value_or(true);
  s.cuda = c;
}

void Decoder::cudnn(const Value* v, Stack& s) {
  if (!v || v->is_null()) return;
  Fields f(*v, "cudnn", m_diags);
  Cudnn c;
  c.mark = v->mark;
  auto ver = version(f.require("version"), "cudnn.version");
  if (!ver) return;
  c.version = *ver;
  if (auto cv = version(f.get("cuda"), "cudnn.cuda")) c.cuda = cv;
  const Value* into = f.get("into");
  const Value* prefix = f.get("prefix");
  if (into && prefix)
    m_diags.error(prefix->mark, "cudnn takes either 'into: cuda' or a 'prefix', not both");
  if (into) {
    auto t = text(into, "cudnn.into");
    if (t && t->value != "cuda")
      m_diags.error(t->mark, "cudnn.into can only be 'cuda' (the seed's copy step)");
    if (t && !s.cuda) m_diags.error(t->mark, "cudnn.into: cuda needs a cuda section to copy into");
    c.into_cuda = true;
    if (s.cuda) c.prefix = {s.cuda->prefix.value, into->mark, true};
  } else if (prefix) {
    if (auto p = path(prefix, "cudnn.prefix")) c.prefix = *p;
  } else {
    m_diags.error(v->mark, "cudnn needs 'into: cuda' or a 'prefix' to say where it goes");
  }
  if (const Value* pl = f.get("place")) {
    if (!pl->is_sequence()) m_diags.error(pl->mark, "cudnn.place must be a list of {from, to}");
    for (std::size_t i = 0; i < pl->items.size(); ++i) {
      std::string where = "cudnn.place[" + std::to_string(i) + "]";
      Fields pf(*pl->items[i], where, m_diags);
      auto from = text(pf.require("from"), where + ".from");
      auto to = text(pf.require("to"), where + ".to");
      if (!when(pf.get("when")) || !from || !to) continue;
      if (m_platform.is_absolute(to->value) || to->value.find("..") != std::string::npos)
        m_diags.error(to->mark, where + ".to is a folder inside the prefix (like lib64), not '" +
                                    to->value + "'");
      to->value = m_platform.native(c.prefix.value + "/" + to->value);
      to->derived = true;
      c.place.push_back({from->value, *to, pl->items[i]->mark, from->mark});
    }
  }
  c.source = source(f.get("source"), "cudnn.source");
  s.cudnn = c;
}

std::optional<Located<std::string>> Decoder::text(const Value* v, const std::string& what) {
  if (!v) return std::nullopt;
  auto t = yaml::scalar_text(*v, what, m_diags);
  if (!t) return std::nullopt;
  return Located<std::string>{m_scope.expand(*t, v->mark, v->quoted, m_diags), v->mark};
}

std::optional<Located<std::string>> Decoder::path(const Value* v, const std::string& what) {
  auto t = text(v, what);
  if (!t) return std::nullopt;
  t->value = m_platform.native(t->value);
  if (t->value.find("${") != std::string::npos) return t;
  if (!m_platform.is_absolute(t->value)) {
    m_diags.error(v->mark, what + " must be an absolute path on " + m_platform.id() + ", not '" +
                               t->value + "'");
    return t;
  }
  // A path is joined under --root as written: ".." or "." in it could lead outside the root, and
  // two spellings of one path would be two managed paths.
  std::string body = t->value.substr(t->value.find_first_of("/\\") + 1);
  for (std::size_t at = 0; at <= body.size();) {
    std::size_t end = body.find_first_of("/\\", at);
    if (end == std::string::npos) end = body.size();
    std::string part = body.substr(at, end - at);
    if (part == "." || part == ".." || (part.empty() && end < body.size())) {
      m_diags.error(v->mark, what +
                                 " must name its folders plainly (no '.', '..' or empty "
                                 "parts), not '" +
                                 t->value + "'");
      break;
    }
    at = end + 1;
  }
  return t;
}

std::vector<Located<std::string>> Decoder::paths(const Value* v, const std::string& what) {
  std::vector<Located<std::string>> out;
  if (!v) return out;
  for (const Value* e : yaml::scalar_list(*v, what, m_diags))
    if (auto p = path(e, what)) out.push_back(*p);
  return out;
}

std::optional<Located<util::Version>> Decoder::version(const Value* v, const std::string& what) {
  auto t = text(v, what);
  if (!t) return std::nullopt;
  std::string why;
  auto ver = util::Version::parse(t->value, &why);
  if (!ver) {
    m_diags.error(v->mark, "bad " + what + ": " + why);
    return std::nullopt;
  }
  // Other YAML readers (editors, PyYAML, the schema check) take a plain 11.10 as the number 11.1.
  if (!v->quoted && ver->size() == 2 && util::ends_with(t->value, "0")) {
    std::string as_number = t->value;
    while (as_number.back() == '0')
      as_number.pop_back();
    if (as_number.back() == '.') as_number += '0';
    m_diags.warning(v->mark, what + " " + t->value + " unquoted is the number " + as_number +
                                 " to other YAML tools; write \"" + t->value + "\"");
  }
  return Located<util::Version>{*ver, v->mark};
}

std::optional<Located<util::VersionRange>> Decoder::range(const Value* v, const std::string& what) {
  auto t = text(v, what);
  if (!t) return std::nullopt;
  std::string why;
  auto r = util::VersionRange::parse(t->value, &why);
  if (!r) {
    m_diags.error(v->mark, "bad " + what + ": " + why);
    return std::nullopt;
  }
  return Located<util::VersionRange>{*r, v->mark};
}

bool Decoder::when(const Value* v) {
  if (!v) return true;
  Fields f(*v, "when", m_diags);
  bool match = true;
  auto check = [&](const char* key, const std::vector<std::string>& known,
                   const std::string& actual) {
    const Value* list = f.get(key);
    if (!list) return;
    bool any = false;
    for (const Value* e : yaml::scalar_list(*list, std::string("when.") + key, m_diags)) {
      if (std::find(known.begin(), known.end(), e->scalar) == known.end())
        m_diags.error(e->mark, std::string("unknown ") + key + " '" + e->scalar + "' in when" +
                                   util::did_you_mean(e->scalar, known));
      any = any || e->scalar == actual;
    }
    match = match && any;
  };
  check("platform", platform::known_ids(), m_platform.id());
  check("os", k_os_names, m_platform.os_name());
  return match;
}

} // namespace gpucfg::manifest
