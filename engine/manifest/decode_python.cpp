// The `python:` section: the framework's environment and its lock.
#include "manifest/decoder.hpp"
#include "platform/platform.hpp"
#include "pyenv/lock.hpp"
#include "util/strings.hpp"

#include <algorithm>

namespace gpucfg::manifest {

namespace {

// The module a framework is imported as; the environment's default import check.
std::string module_of(const std::string& framework) {
  return framework == "pytorch" ? "torch" : framework;
}

} // namespace

// python.install: the interpreter itself, unpacked from a pinned archive into `into`, used where
// the machine has none the stack accepts (pyenv::decide). Where it applies (its `when:`, and a
// source for the platform) that interpreter is <into>/<program>; plan cannot run a program not
// there yet, so the version it holds is declared.
void Decoder::install(const Value& v, Python& py) {
  Fields f(v, "python.install", m_diags);
  bool applies = when(f.get("when"));
  if (!applies) { // another platform's: its paths are that platform's, not checked here
    for (const char* k : {"version", "into", "program", "source"})
      f.get(k);
    return;
  }
  bool windows = m_platform.os() == platform::Os::windows;
  PythonInstall in;
  in.mark = v.mark;
  if (auto version = text(f.require("version"), "python.install.version")) {
    auto parsed = util::Version::parse(version->value);
    if (!parsed || parsed->size() != 3)
      m_diags.error(version->mark,
                    "python.install.version must be X.Y.Z, not '" + version->value + "'");
    else
      in.version = {*parsed, version->mark, false};
  }
  auto into = path(f.require("into"), "python.install.into");
  std::string program = windows ? "python.exe" : "bin/python3";
  if (auto t = text(f.get("program"), "python.install.program")) program = t->value;
  auto src = source(f.require("source"), "python.install.source");
  if (src && src->kind != Source::Kind::archive)
    m_diags.error(src->mark, "python.install.source must be an archive: (a pinned file)");
  if (!applies || !src || !into) return; // not for this platform: the interpreter is found
  if (py.interpreter)
    return m_diags.error(v.mark, "python.interpreter and python.install both name the "
                                 "interpreter; with install it is <into>/<program>");
  in.into = *into;
  in.source = *src;
  if (windows) std::replace(program.begin(), program.end(), '/', '\\');
  in.interpreter = into->value + (windows ? "\\" : "/") + program;
  py.install = std::move(in);
}

void Decoder::python(const Value* v, Stack& s) {
  if (!v || v->is_null()) return;
  if (!v->is_mapping()) return m_diags.error(v->mark, "python must be a mapping");
  Fields f(*v, "python", m_diags);
  // `when: {os: linux}`: an environment for some platforms only (tf-2.5's lock has no Windows
  // wheels yet); elsewhere the section is absent, though still checked.
  bool applies = when(f.get("when"));
  Python py;
  py.mark = v->mark;
  if (auto e = path(f.get("env"), "python.env"))
    py.env = *e;
  else
    py.env = {m_platform.os() == platform::Os::linux ? "/opt/gpucfg/envs/" + s.metadata.name
                                                     : "C:\\gpucfg\\envs\\" + s.metadata.name,
              v->mark, true}; // a default: derived from the python section
  if (auto i = path(f.get("interpreter"), "python.interpreter")) py.interpreter = i;
  if (const Value* in = f.get("install")) install(*in, py);
  if (const Value* p = f.get("packages"))
    for (const Value* e : yaml::scalar_list(*p, "python.packages", m_diags))
      if (auto t = text(e, "python.packages")) py.packages.push_back(*t);
  if (auto i = text(f.get("index"), "python.index")) {
    py.index = i->value;
    if (!util::starts_with(py.index, "https://") && !util::starts_with(py.index, "http://") &&
        !util::starts_with(py.index, "file://"))
      m_diags.error(i->mark, "python.index must be a URL (https://, http:// or file://)");
  }
  if (const Value* im = f.get("import")) {
    for (const Value* e : yaml::scalar_list(*im, "python.import", m_diags))
      if (auto t = text(e, "python.import")) py.imports.push_back(t->value);
  } else if (s.framework) {
    py.imports.push_back(module_of(s.framework->name));
  }
  if (const Value* a = f.get("adopt"))
    py.adopt = yaml::boolean(*a, "python.adopt", m_diags).value_or(false);
  if (const Value* a = f.get("activate"))
    py.activate = yaml::boolean(*a, "python.activate", m_diags).value_or(true);
  if (const Value* lock = f.get("lock")) {
    if (!lock->is_sequence()) m_diags.error(lock->mark, "python.lock must be a list of wheels");
    for (std::size_t i = 0; lock->is_sequence() && i < lock->items.size(); ++i) {
      std::string where = "python.lock[" + std::to_string(i) + "]";
      Fields wf(*lock->items[i], where, m_diags);
      LockedWheel w;
      w.mark = lock->items[i]->mark;
      // A wheel, or a source distribution with the wheels it is built with.
      const Value* sd = wf.get("sdist");
      if (auto t = sd ? text(sd, where + ".sdist") : text(wf.require("wheel"), where + ".wheel")) {
        w.wheel = t->value;
        if (sd && !pyenv::parse_sdist_name(w.wheel))
          m_diags.error(t->mark, where + ".sdist must be a source distribution's file name "
                                         "(name-version.tar.gz or .zip)");
        if (!sd && (!util::ends_with(w.wheel, ".whl") || w.wheel.find('/') != std::string::npos))
          m_diags.error(t->mark, where + ".wheel must be a wheel's file name (name-version-"
                                         "python-abi-platform.whl)");
      }
      if (auto t = text(wf.require("sha256"), where + ".sha256")) {
        w.sha256 = t->value;
        if (w.sha256.size() != 64 || !util::is_hex(w.sha256))
          m_diags.error(t->mark, where + ".sha256 must be 64 hexadecimal digits");
      }
      if (const Value* b = wf.get("build")) {
        if (!sd) m_diags.error(b->mark, where + ".build: only an sdist has build requirements");
        for (std::size_t j = 0; b->is_sequence() && j < b->items.size(); ++j) {
          std::string at = where + ".build[" + std::to_string(j) + "]";
          Fields bf(*b->items[j], at, m_diags);
          LockedWheel r;
          r.mark = b->items[j]->mark;
          if (auto t = text(bf.require("wheel"), at + ".wheel")) r.wheel = t->value;
          if (auto t = text(bf.require("sha256"), at + ".sha256")) r.sha256 = t->value;
          if (auto t = text(bf.get("url"), at + ".url")) r.url = t->value;
          if (!util::ends_with(r.wheel, ".whl") || r.sha256.size() != 64 || !util::is_hex(r.sha256))
            m_diags.error(r.mark, at + " must name a wheel's file and its 64-digit sha256");
          w.build.push_back(std::move(r));
        }
      } else if (sd) {
        m_diags.error(sd->mark, where + ".build: an sdist is built with locked wheels only; list "
                                        "its build requirements (setuptools, wheel) with their "
                                        "sha256");
      }
      if (auto t = text(wf.get("url"), where + ".url")) w.url = t->value;
      if (const Value* fo = wf.get("for"))
        for (const Value* e : yaml::scalar_list(*fo, where + ".for", m_diags))
          if (auto t = text(e, where + ".for")) {
            auto slash = t->value.find('/');
            if (slash == std::string::npos || !platform::find(t->value.substr(0, slash)))
              m_diags.error(t->mark, where +
                                         ".for entries are platform/python, such as "
                                         "linux-x86_64/3.11, not '" +
                                         t->value + "'");
            w.targets.push_back(t->value);
          }
      py.lock.push_back(std::move(w));
    }
  }
  if (py.adopt && !py.lock.empty())
    m_diags.error(v->mark, "python.adopt takes the environment as it is; it cannot have a lock");
  if (!py.adopt && py.imports.empty())
    m_diags.error(v->mark, "python.import: name the module to check after the install (the "
                           "manifest names no framework to take it from)");
  if (!applies) return;
  // Activation: the environment's scripts first on PATH, in the profile files and `gpucfg env`,
  // merged into the manifest's own PATH entry when it has one.
  if (py.activate) {
    bool linux = m_platform.os() == platform::Os::linux;
    Located<std::string> bin{py.env.value + (linux ? "/bin" : "\\Scripts"), py.mark, true};
    auto path = std::find_if(s.env.begin(), s.env.end(), [](const EnvVar& e) {
      return e.name == "PATH" && !e.set && !e.unset && e.scope == "system";
    });
    if (path != s.env.end()) {
      path->prepend.insert(path->prepend.begin(), bin);
    } else {
      EnvVar e;
      e.name = "PATH";
      e.prepend.push_back(bin);
      e.mark = py.mark;
      s.env.push_back(e);
    }
  }
  s.python = std::move(py);
}

} // namespace gpucfg::manifest
