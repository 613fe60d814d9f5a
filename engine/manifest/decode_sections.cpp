// The list-shaped sections of a manifest: sources, files, env, loader, verify.
#include "manifest/decoder.hpp"
#include "packages/version.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace gpucfg::manifest {

namespace {

bool valid_sha256(const std::string& s) {
  return s.size() == 64 && util::is_hex(s);
}

bool valid_env_name(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

} // namespace

const char* to_string(FileEntry::Op op) {
  switch (op) {
  case FileEntry::Op::copy:
    return "copy";
  case FileEntry::Op::alias:
    return "alias";
  case FileEntry::Op::symlink:
    return "symlink";
  case FileEntry::Op::absent:
    return "absent";
  }
  return "?";
}

const char* to_string(Source::Kind k) {
  switch (k) {
  case Source::Kind::adopt:
    return "adopt";
  case Source::Kind::archive:
    return "archive";
  case Source::Kind::redistrib:
    return "redistrib";
  case Source::Kind::wheels:
    return "wheels";
  case Source::Kind::directory:
    return "directory";
  }
  return "?";
}

// A source is one mapping, or a list of them each with a `when:`: the first that holds for the
// target platform is the source there (a toolkit comes from a runfile on Linux and an .exe on
// Windows). A list where none holds leaves the platform without a source, which plan reports.
std::optional<Source> Decoder::source(const Value* v, const std::string& what) {
  if (!v) return std::nullopt;
  if (v->is_sequence()) {
    for (std::size_t i = 0; i < v->items.size(); ++i) {
      const Value& item = *v->items[i];
      if (!item.is_mapping()) {
        m_diags.error(item.mark, what + "[" + std::to_string(i) + "] must be a mapping");
        continue;
      }
      const Value* cond = item.find("when");
      if (!when(cond)) continue;
      return one_source(item, what + "[" + std::to_string(i) + "]");
    }
    return std::nullopt;
  }
  return one_source(*v, what);
}

std::optional<Source> Decoder::one_source(const Value& node, const std::string& what) {
  const Value* v = &node;
  Fields f(*v, what, m_diags);
  f.allow({"when"}); // read by source()
  Source src;
  src.mark = v->mark;
  const Value* adopt = f.get("adopt");
  const Value* archive = f.get("archive");
  const Value* redistrib = f.get("redistrib");
  const Value* wheels = f.get("wheels");
  const Value* directory = f.get("directory");
  const Value* sha = f.get("sha256");
  int kinds = !!adopt + !!archive + !!redistrib + !!wheels + !!directory;
  if (kinds != 1) {
    m_diags.error(v->mark,
                  what + " takes exactly one of adopt, archive, redistrib, wheels, directory");
    return std::nullopt;
  }
  auto pinned = [&](const Value* h, const std::string& where) -> std::string {
    if (!h) return {};
    auto t = text(h, where);
    if (t && !valid_sha256(t->value))
      m_diags.error(h->mark, where + " must be 64 hexadecimal digits");
    return t ? t->value : "";
  };
  if (adopt) {
    src.kind = Source::Kind::adopt;
    if (!yaml::boolean(*adopt, what + ".adopt", m_diags).value_or(false))
      m_diags.error(adopt->mark, what + ".adopt can only be true (leave the source out otherwise)");
  } else if (archive || redistrib || directory) {
    const Value* loc = archive ? archive : redistrib ? redistrib : directory;
    src.kind = archive     ? Source::Kind::archive
               : redistrib ? Source::Kind::redistrib
                           : Source::Kind::directory;
    auto t = text(loc, what);
    // A folder is read where it lies, on the machine being configured (under --root), so it is
    // named as the machine names it; archives may also lie beside the manifest.
    if (t && directory && !m_platform.is_absolute(t->value))
      m_diags.error(loc->mark, what +
                                   ".directory must be an absolute path on the machine being "
                                   "configured (read under --root), not '" +
                                   t->value + "'; an archive: may be relative to the manifest");
    if (t) src.artifacts.push_back({t->value, pinned(sha, what + ".sha256"), "", loc->mark});
  } else {
    src.kind = Source::Kind::wheels;
    if (!wheels->is_sequence()) m_diags.error(wheels->mark, what + ".wheels must be a list");
    for (std::size_t i = 0; i < wheels->items.size(); ++i) {
      std::string where = what + ".wheels[" + std::to_string(i) + "]";
      Fields wf(*wheels->items[i], where, m_diags);
      auto pkg = text(wf.require("package"), where + ".package");
      if (pkg && pkg->value.find("==") == std::string::npos)
        m_diags.error(pkg->mark, where + ".package must pin a version: name==version");
      std::string hash = pinned(wf.get("sha256"), where + ".sha256");
      std::string url;
      if (const Value* u = wf.get("url"))
        if (auto t = text(u, where + ".url")) url = t->value;
      if (pkg) src.artifacts.push_back({pkg->value, hash, url, pkg->mark});
    }
  }
  if (sha && (adopt || wheels))
    m_diags.error(sha->mark, what + ".sha256 goes with archive, redistrib or directory");
  auto only_with = [&](const char* key, bool allowed, const char* goes_with) -> const Value* {
    const Value* x = f.get(key);
    if (x && !allowed) m_diags.error(x->mark, what + "." + key + " goes with " + goes_with);
    return x;
  };
  if (const Value* c = only_with("components", redistrib || archive, "redistrib or archive"))
    for (const Value* e : yaml::scalar_list(*c, what + ".components", m_diags))
      if (auto t = text(e, what + ".components")) src.components.push_back(t->value);
  if (const Value* b = only_with("base_url", !!redistrib, "redistrib"))
    if (auto t = text(b, what + ".base_url")) src.base_url = t->value;
  if (const Value* l = only_with("layout", !!archive, "archive"))
    if (auto t = text(l, what + ".layout")) {
      static const char* known[] = {
          "auto", "redist", "cudnn-legacy", "wheel", "runfile", "windows-installer", "plain"};
      if (std::find(std::begin(known), std::end(known), t->value) == std::end(known))
        m_diags.error(l->mark, what +
                                   ".layout must be one of auto, redist, cudnn-legacy, wheel, "
                                   "runfile, windows-installer, plain, not '" +
                                   t->value + "'");
      src.layout = t->value;
    }
  for (auto [key, out] :
       {std::pair{"size", &src.size}, std::pair{"unpacked_size", &src.unpacked_size}})
    if (const Value* n = only_with(key, !!archive, "archive"))
      if (auto t = text(n, what + "." + key)) {
        if (t->value.empty() || t->value.find_first_not_of("0123456789") != std::string::npos)
          m_diags.error(n->mark, what + "." + key + " must be a number of bytes");
        else
          *out = std::stoull(t->value);
      }
  if (const Value* m = f.get("mirrors"))
    for (const Value* e : yaml::scalar_list(*m, what + ".mirrors", m_diags))
      if (auto t = text(e, what + ".mirrors")) src.mirrors.push_back(t->value);
  return src;
}

void Decoder::files(const Value* v, Stack& s) {
  if (!v || v->is_null()) return;
  if (!v->is_sequence()) return m_diags.error(v->mark, "files must be a list of entries");
  for (std::size_t i = 0; i < v->items.size(); ++i) {
    const Value& item = *v->items[i];
    std::string where = "files[" + std::to_string(i) + "]";
    Fields f(item, where, m_diags);
    FileEntry e;
    e.mark = item.mark;
    const Value* ops[] = {f.get("copy"), f.get("alias"), f.get("symlink"), f.get("absent")};
    int n = 0;
    for (int k = 0; k < 4; ++k)
      if (ops[k]) {
        ++n;
        e.op = static_cast<FileEntry::Op>(k);
      }
    const Value* from = f.get("from");
    const Value* target = f.get("target");
    const Value* sha = f.get("sha256");
    const Value* mode = f.get("mode");
    const Value* why = f.get("why");
    bool applies = when(f.get("when"));
    if (n != 1) {
      m_diags.error(item.mark, where + " takes exactly one of copy, alias, symlink, absent");
      continue;
    }
    if (!applies) continue;
    auto p = path(ops[static_cast<int>(e.op)], where + "." + to_string(e.op));
    if (!p) continue;
    e.path = *p;
    switch (e.op) {
    case FileEntry::Op::copy:
      if (!from)
        m_diags.error(item.mark, where + ": copy needs 'from' (the path of the file to copy)");
      else if (auto t = text(from, where + ".from")) {
        // Downloads come only through a section's pinned source (fetched, hashed and kept in the
        // store before the first change); a copy copies a file that is on the machine.
        bool file_url = util::starts_with(t->value, "file://");
        if (!file_url && t->value.find("://") != std::string::npos)
          m_diags.error(t->mark, where + ".from must be a path on this machine, not a download ('" +
                                     t->value +
                                     "'): downloads come only through a pinned "
                                     "source (cuda, cudnn or python source:)");
        else if (!file_url && !m_platform.is_absolute(t->value))
          m_diags.error(t->mark, where + ".from must be an absolute path or a file:// URL, not '" +
                                     t->value + "'");
        e.source = *t;
      }
      if (target) m_diags.error(target->mark, where + ": copy takes 'from', not 'target'");
      break;
    case FileEntry::Op::alias:
    case FileEntry::Op::symlink:
      if (!target)
        m_diags.error(item.mark, where + ": " + to_string(e.op) + " needs 'target'");
      else if (auto t = text(target, where + ".target"))
        e.source = {m_platform.native(t->value), t->mark};
      if (from)
        m_diags.error(from->mark, where + ": " + to_string(e.op) + " takes 'target', not 'from'");
      break;
    case FileEntry::Op::absent:
      if (from || target)
        m_diags.error(item.mark, where + ": absent takes neither 'from' nor 'target'");
      break;
    }
    if (auto h = text(sha, where + ".sha256")) {
      if (!valid_sha256(h->value))
        m_diags.error(h->mark, where + ".sha256 must be 64 hexadecimal digits");
      if (e.op == FileEntry::Op::absent || e.op == FileEntry::Op::symlink)
        m_diags.error(h->mark, where + ".sha256 needs content: it goes with copy or alias");
      e.sha256 = h->value;
    }
    if (auto m = text(mode, where + ".mode")) {
      bool octal = m->value.size() >= 3 && m->value.size() <= 4 &&
                   std::all_of(m->value.begin(), m->value.end(),
                               [](char c) { return c >= '0' && c <= '7'; });
      if (!octal) m_diags.error(m->mark, where + ".mode must be octal digits, like \"0644\"");
      e.mode = m->value;
    }
    if (auto w = text(why, where + ".why")) e.why = w->value;
    if (e.op == FileEntry::Op::alias && e.why.empty())
      m_diags.warning(item.mark,
                      where + ": an alias without 'why' will outlive everyone's memory of it");
    s.files.push_back(e);
  }
}

void Decoder::env(const Value* v, Stack& s) {
  if (!v || v->is_null()) return;
  if (!v->is_mapping()) return m_diags.error(v->mark, "env must be a mapping of VARIABLE: value");
  for (const auto& [k, val] : v->entries) {
    EnvVar e;
    e.name = k->scalar;
    e.mark = k->mark;
    std::string where = "env." + e.name;
    if (!valid_env_name(e.name)) {
      m_diags.error(k->mark, "'" + e.name + "' is not a valid environment variable name");
      continue;
    }
    // A newline would start another line of environment.d (systemd then exports whatever
    // follows, LD_PRELOAD included): no control character is ever part of a value.
    auto plain = [&](std::optional<Located<std::string>> t, const std::string& what) {
      if (t && std::any_of(t->value.begin(), t->value.end(), [](char c) {
            return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
          }))
        m_diags.error(t->mark, what + " holds a control character (a newline, a tab, ...); "
                                      "environment values cannot");
      return t;
    };
    if (val->is_scalar()) {
      e.set = plain(text(val.get(), where), where);
      s.env.push_back(e);
      continue;
    }
    Fields f(*val, where, m_diags);
    const Value* set = f.get("set");
    const Value* unset = f.get("unset");
    const Value* pre = f.get("prepend");
    const Value* app = f.get("append");
    const Value* rem = f.get("remove");
    if (auto sc = text(f.get("scope"), where + ".scope")) {
      if (sc->value != "system" && sc->value != "user")
        m_diags.error(sc->mark, where + ".scope must be system or user");
      e.scope = sc->value;
    }
    if (!when(f.get("when"))) continue;
    if (set && unset) m_diags.error(unset->mark, where + " cannot both set and unset");
    if ((set || unset) && (pre || app || rem))
      m_diags.error(
          val->mark,
          where +
              ": set/unset replace the value; prepend/append/remove edit a list. Pick one kind");
    if (!set && !unset && !pre && !app && !rem)
      m_diags.error(val->mark, where + " needs one of set, unset, prepend, append, remove");
    if (set) e.set = plain(text(set, where + ".set"), where + ".set");
    if (unset) e.unset = yaml::boolean(*unset, where + ".unset", m_diags).value_or(false);
    // List entries are folders (PATH-like variables); they get native separators.
    auto list = [&](const Value* l, const char* op) {
      std::vector<Located<std::string>> out;
      if (!l) return out;
      for (const Value* item : yaml::scalar_list(*l, where + "." + op, m_diags))
        if (auto t = plain(text(item, where + "." + op), where + "." + op)) {
          t->value = m_platform.native(t->value);
          if (t->value.find(m_platform.list_separator()) != std::string::npos)
            m_diags.error(t->mark, where + "." + op + ": give one entry per list item, without '" +
                                       std::string(1, m_platform.list_separator()) + "'");
          // An empty or relative entry in a search path means the current folder (or one below
          // it): whoever controls the folder a program starts in controls what it runs or loads.
          // Windows entries may start with a %VARIABLE% (REG_EXPAND_SZ).
          else if (t->value.find("${") == std::string::npos && !m_platform.is_absolute(t->value) &&
                   !(m_platform.os() == platform::Os::windows && t->value.size() > 1 &&
                     t->value[0] == '%'))
            m_diags.error(t->mark, where + "." + op + ": '" + t->value +
                                       "' is not an absolute path; an empty or relative entry "
                                       "puts the current folder on the search path");
          out.push_back(*t);
        }
      return out;
    };
    e.prepend = list(pre, "prepend");
    e.append = list(app, "append");
    e.remove = list(rem, "remove");
    s.env.push_back(e);
  }
}

void Decoder::loader(const Value* v, Stack& s) {
  if (!v || v->is_null()) return;
  Fields f(*v, "loader", m_diags);
  const Value* list = f.get("paths");
  if (!list) return;
  if (!list->is_sequence()) return m_diags.error(list->mark, "loader.paths must be a list");
  for (const auto& item : list->items) {
    if (item->is_mapping()) {
      Fields pf(*item, "loader.paths entry", m_diags);
      const Value* p = pf.require("path");
      if (!when(pf.get("when")) || !p) continue;
      if (auto pp = path(p, "loader.paths")) s.loader_paths.push_back(*pp);
    } else if (auto pp = path(item.get(), "loader.paths")) {
      s.loader_paths.push_back(*pp);
    }
  }
}

void Decoder::verify(const Value* v, Stack& s) {
  if (!v || v->is_null()) return;
  Fields f(*v, "verify", m_diags);
  s.verify.mark = v->mark;
  static const std::vector<std::string> levels = {"static", "load", "compute", "framework"};
  if (auto l = text(f.get("level"), "verify.level")) {
    if (std::find(levels.begin(), levels.end(), l->value) == levels.end())
      m_diags.error(l->mark, "verify.level must be one of static, load, compute, framework" +
                                 util::did_you_mean(l->value, levels));
    s.verify.level = l->value;
  }
  if (auto fw = text(f.get("framework"), "verify.framework")) {
    if (fw->value != "tensorflow" && fw->value != "pytorch")
      m_diags.error(fw->mark, "verify.framework must be tensorflow or pytorch");
    s.verify.framework = fw;
  }
  if (s.verify.level == "framework" && !s.verify.framework)
    m_diags.error(v->mark, "verify.level framework needs verify.framework (tensorflow or pytorch)");
}

} // namespace gpucfg::manifest

namespace gpucfg::manifest {

// Debian policy 5.6.1: lower case letters, digits, '+', '-', '.'; two characters at least,
// starting with a letter or digit.
static bool valid_package_name(const std::string& n) {
  if (n.size() < 2 || !(std::islower(static_cast<unsigned char>(n[0])) ||
                        std::isdigit(static_cast<unsigned char>(n[0]))))
    return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  });
}

void Decoder::packages(const Value* v, Stack& s) {
  if (!v || v->is_null()) return;
  if (!v->is_sequence())
    return m_diags.error(v->mark, "packages must be a list of package names or entries");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < v->items.size(); ++i) {
    const Value& item = *v->items[i];
    std::string where = "packages[" + std::to_string(i) + "]";
    Package p;
    p.mark = item.mark;
    if (item.is_scalar()) { // "g++-12": any version
      if (auto n = text(&item, where)) p.name = *n;
    } else {
      Fields f(item, where, m_diags);
      if (!when(f.get("when"))) {
        f.allow({"name", "version", "hold", "absent", "why"});
        continue;
      }
      if (auto n = text(f.require("name"), where + ".name")) p.name = *n;
      if (auto ver = text(f.get("version"), where + ".version")) {
        std::string error;
        if (!packages::VersionSpec::parse(ver->value, &error))
          m_diags.error(ver->mark, where + ".version " + error);
        p.version = *ver;
      }
      if (const Value* h = f.get("hold")) p.hold = yaml::boolean(*h, where + ".hold", m_diags);
      if (const Value* a = f.get("absent"))
        p.absent = yaml::boolean(*a, where + ".absent", m_diags).value_or(false);
      if (auto w = text(f.get("why"), where + ".why")) p.why = w->value;
      if (p.absent && (p.version || (p.hold && *p.hold)))
        m_diags.error(item.mark, where + ": an absent package takes no version and no hold");
    }
    if (p.name.value.empty()) continue;
    if (!valid_package_name(p.name.value))
      m_diags.error(p.name.mark, where + ": '" + p.name.value +
                                     "' is not a Debian package name (lower case letters, "
                                     "digits, '+', '-' and '.')");
    else if (!seen.insert(p.name.value).second)
      m_diags.error(p.name.mark, where + ": package '" + p.name.value + "' is listed twice");
    s.packages.push_back(p);
  }
}

} // namespace gpucfg::manifest
