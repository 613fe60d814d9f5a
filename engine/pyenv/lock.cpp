#include "pyenv/lock.hpp"

#include "platform/platform.hpp"
#include "source/layout.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

namespace gpucfg::pyenv {

namespace {

// A tag's version digits ("311" of cp311): at most 4, so the number always fits.
bool digits(const std::string& s) {
  return !s.empty() && s.size() <= 4 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

// "cp311" / "py3" / "py311" against CPython X.Y. An interpreter tag names a version it needs
// exactly (cp311); a bare major (py3) takes every 3.x.
bool python_tag_ok(const std::string& tag, const util::Version& py) {
  std::string impl = tag.substr(0, 2), ver = tag.size() > 2 ? tag.substr(2) : "";
  if ((impl != "cp" && impl != "py") || !digits(ver)) return false;
  std::string major = std::to_string(py.major()), xy = major + std::to_string(py.minor());
  return ver == xy || (impl == "py" && ver == major);
}

// "none", "abi3" (the stable ABI: any CPython at least as new as the wheel's python tag),
// "cp311".
bool abi_ok(const std::string& abi, const WheelName& w, const util::Version& py) {
  if (abi == "none") return true;
  std::string xy = std::to_string(py.major()) + std::to_string(py.minor());
  if (abi == "cp" + xy) return true;
  if (abi == "cp" + xy + "m" && py.major() == 3 && py.minor() <= 7) return true; // pymalloc ABI

  if (abi != "abi3") return false;
  for (const auto& t : w.python)
    if (t.size() > 3 && t.rfind("cp3", 0) == 0 && digits(t.substr(3)) &&
        std::stoul(t.substr(3)) <= py.minor())
      return true;
  return false;
}

bool platform_ok(const std::string& tag, const std::string& platform_id) {
  if (tag == "any") return true;
  auto arch_is = [&](const char* arch) { return util::ends_with(tag, std::string("_") + arch); };
  bool linux_tag = tag.rfind("manylinux", 0) == 0 || tag.rfind("linux_", 0) == 0;
  if (platform_id == "linux-x86_64") return linux_tag && arch_is("x86_64");
  if (platform_id == "linux-sbsa" || platform_id == "linux-aarch64")
    return linux_tag && arch_is("aarch64");
  if (platform_id == "windows-x86_64") return tag == "win_amd64";
  return false;
}

} // namespace

std::optional<WheelName> parse_wheel_name(const std::string& file) {
  if (!util::ends_with(file, ".whl")) return std::nullopt;
  auto parts = util::split(file.substr(0, file.size() - 4), '-');
  if (parts.size() != 5 && parts.size() != 6) return std::nullopt;
  for (const auto& p : parts)
    if (p.empty()) return std::nullopt;
  WheelName w;
  w.name = parts[0];
  w.version = parts[1];
  std::size_t n = parts.size();
  w.python = util::split(parts[n - 3], '.');
  w.abi = util::split(parts[n - 2], '.');
  w.platform = util::split(parts[n - 1], '.');
  return w;
}

bool runs_on(const WheelName& w, const std::string& platform_id, const util::Version& python) {
  auto any = [](const std::vector<std::string>& tags, auto ok) {
    return std::any_of(tags.begin(), tags.end(), ok);
  };
  // The stable ABI: cp37-abi3 runs on every CPython from 3.7 on.
  bool stable_abi = std::find(w.abi.begin(), w.abi.end(), "abi3") != w.abi.end() &&
                    any(w.python, [&](const std::string& t) {
                      return t.size() > 3 && t.rfind("cp3", 0) == 0 && digits(t.substr(3)) &&
                             python.major() == 3 && std::stoul(t.substr(3)) <= python.minor();
                    });
  return (stable_abi ||
          (any(w.python, [&](const std::string& t) { return python_tag_ok(t, python); }) &&
           any(w.abi, [&](const std::string& t) { return abi_ok(t, w, python); }))) &&
         any(w.platform, [&](const std::string& t) { return platform_ok(t, platform_id); });
}

std::string target(const std::string& platform_id, const util::Version& python) {
  return platform_id + "/" + std::to_string(python.major()) + "." + std::to_string(python.minor());
}

namespace {

Selection select_uncached(const std::vector<manifest::LockedWheel>& lock,
                          const std::string& platform_id, const util::Version& python);

// What identifies a lock's content, cheaply: every field select reads, hashed.
std::size_t lock_fingerprint(const std::vector<manifest::LockedWheel>& lock) {
  std::size_t h = lock.size();
  auto mix = [&h](const std::string& s) { h = h * 1000003u ^ std::hash<std::string>{}(s); };
  for (const auto& w : lock) {
    mix(w.wheel);
    mix(w.sha256);
    mix(w.url);
    for (const auto& t : w.targets)
      mix(t);
    for (const auto& b : w.build)
      mix(b.sha256);
  }
  return h;
}

} // namespace

// select is pure and, for a fleet, asked the same question for every host (and several times
// per plan): its answers are kept, keyed by the lock's content, the platform and the version.
Selection select(const std::vector<manifest::LockedWheel>& lock, const std::string& platform_id,
                 const util::Version& python) {
  static std::mutex mutex;
  static std::map<std::tuple<std::size_t, std::string, std::string>, Selection> memo;
  auto key = std::make_tuple(lock_fingerprint(lock), platform_id, python.str());
  {
    std::lock_guard<std::mutex> hold(mutex);
    if (auto it = memo.find(key); it != memo.end()) return it->second;
  }
  Selection out = select_uncached(lock, platform_id, python);
  std::lock_guard<std::mutex> hold(mutex);
  if (memo.size() > 256) memo.clear(); // bounded: a process plans a handful of manifests
  memo.emplace(key, out);
  return out;
}

namespace {

Selection select_uncached(const std::vector<manifest::LockedWheel>& lock,
                          const std::string& platform_id, const util::Version& python) {
  Selection out;
  std::string want = target(platform_id, python);
  std::map<std::string, std::string> by_project;
  for (const auto& w : lock) {
    auto name = parse_wheel_name(w.wheel);
    if (w.sdist()) // built for whichever target it is installed on
      if (auto sd = parse_sdist_name(w.wheel)) name = WheelName{sd->name, sd->version, {}, {}, {}};
    if (!name) {
      out.errors.push_back(w.wheel + ": not a wheel file name");
      continue;
    }
    bool named = std::find(w.targets.begin(), w.targets.end(), want) != w.targets.end();
    bool runs = w.sdist() || runs_on(*name, platform_id, python);
    if (named && !runs) {
      out.errors.push_back(w.wheel + " is locked for " + want + " but its tags do not run there");
      continue;
    }
    if (!(named || (w.targets.empty() && runs))) continue;
    auto [it, fresh] = by_project.emplace(source::pep503_name(name->name), w.wheel);
    if (!fresh) {
      out.errors.push_back("the lock has two wheels of " + it->first + " for " + want + ": " +
                           it->second + " and " + w.wheel);
      continue;
    }
    out.wheels.push_back(w);
  }
  std::sort(out.wheels.begin(), out.wheels.end(),
            [](const auto& a, const auto& b) { return a.wheel < b.wheel; });
  return out;
}

} // namespace

std::optional<SdistName> parse_sdist_name(const std::string& file) {
  bool zip = util::ends_with(file, ".zip");
  if ((!zip && !util::ends_with(file, ".tar.gz")) || file.find('/') != std::string::npos)
    return std::nullopt;
  std::string stem = file.substr(0, file.size() - (zip ? 4 : 7));
  // name-version, the name possibly with '-' in older sdists: the version follows the last '-'.
  auto dash = stem.rfind('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 >= stem.size() ||
      !std::isdigit(static_cast<unsigned char>(stem[dash + 1])))
    return std::nullopt;
  return SdistName{stem.substr(0, dash), stem.substr(dash + 1)};
}

std::vector<util::Version> locked_pythons(const std::vector<manifest::LockedWheel>& lock,
                                          const std::string& platform_id) {
  std::set<std::pair<unsigned long, unsigned long>> seen;
  for (const auto& w : lock) {
    for (const auto& t : w.targets)
      if (util::starts_with(t, platform_id + "/"))
        if (auto v = util::Version::parse(t.substr(platform_id.size() + 1)))
          seen.insert({v->major(), v->minor()});
    if (!w.targets.empty()) continue;
    // Untargeted entries: the CPython versions their tags name (cp311 -> 3.11).
    if (auto name = parse_wheel_name(w.wheel))
      for (const auto& t : name->python)
        if (t.size() > 3 && t.rfind("cp3", 0) == 0 && digits(t.substr(3))) {
          util::Version v({3, std::stoul(t.substr(3))});
          if (runs_on(*name, platform_id, v)) seen.insert({3, v.minor()});
        }
  }
  std::vector<util::Version> out;
  for (auto it = seen.rbegin(); it != seen.rend(); ++it)
    out.push_back(util::Version({it->first, it->second}));
  return out;
}

Choice choose_interpreter(const manifest::Stack& s, const std::string& platform_id,
                          const std::vector<Interpreter>& found) {
  Choice c;
  const auto& py = *s.python;
  auto in_range = [&](const Interpreter& i) {
    return !s.requires_.python || s.requires_.python->value.contains(i.version);
  };
  auto locked = locked_pythons(py.lock, platform_id);
  auto has_lock = [&](const Interpreter& i) {
    if (py.adopted() || py.lock.empty()) return true; // an empty lock is reported by decide()
    auto sel = select(py.lock, platform_id, i.version);
    return !sel.wheels.empty() && sel.errors.empty();
  };
  std::string range = s.requires_.python ? s.requires_.python->value.str() : "any";
  if (py.interpreter) {
    // Any name of a found interpreter: the one facts lists (…/bin/python3) or the file it is
    // (…/bin/python3.12).
    for (const auto& i : found)
      if (i.path == py.interpreter->value || i.realpath == py.interpreter->value) {
        if (!in_range(i))
          c.why = i.path + " is Python " + i.version.str() + ", outside requires.python " + range;
        else if (!has_lock(i))
          c.why = i.path + " is Python " + i.version.str() + ", which the lock has no wheels for";
        else
          c = {i, "python.interpreter " + i.path + " (Python " + i.version.str() + ")"};
        return c;
      }
    c.why = "python.interpreter " + py.interpreter->value + " is not a Python found here";
    return c;
  }
  std::string lock_problem;
  for (const auto& i : found) {
    if (!in_range(i)) continue;
    if (!has_lock(i)) {
      auto sel = select(py.lock, platform_id, i.version);
      if (!sel.errors.empty() && lock_problem.empty()) lock_problem = sel.errors.front();
      continue;
    }
    if (!c.chosen || c.chosen->version < i.version) c.chosen = i;
  }
  if (c.chosen) {
    c.why = c.chosen->path + " (Python " + c.chosen->version.str() +
            ", the newest found in requires.python " + range + ")";
    return c;
  }
  std::string seen;
  for (const auto& i : found)
    seen += (seen.empty() ? "" : ", ") + i.path + " " + i.version.str();
  std::string wanted, package = "python3";
  for (const auto& v : locked)
    if (!s.requires_.python || s.requires_.python->value.contains(v)) {
      wanted += (wanted.empty() ? "" : " or ") + v.str();
      if (package == "python3") package += "." + std::to_string(v.minor());
    }
  if (wanted.empty()) wanted = range;
  c.why = "no Python " + wanted + " found" + (py.adopted() ? "" : " that the lock has wheels for") +
          " (found: " + (seen.empty() ? "none" : seen) + "). Install one (apt-get install " +
          package + "-venv, pyenv install, uv python install) or name it in python.interpreter";
  return c;
}

std::string digest(const Interpreter& python, const std::vector<manifest::LockedWheel>& wheels,
                   const std::vector<std::string>& imports) {
  std::string text = "python " + python.path + " " + python.version.str() + "\n";
  for (const auto& w : wheels) {
    text += w.sha256 + " " + w.wheel + "\n";
    for (const auto& b : w.build) // what an sdist's wheel is built with
      text += "  build " + b.sha256 + " " + b.wheel + "\n";
  }
  for (const auto& i : imports)
    text += "import " + i + "\n";
  return util::sha256_hex(text);
}

std::vector<Interpreter> interpreters(const probe::Facts& facts) {
  std::vector<Interpreter> out;
  for (const auto& p : facts.pythons)
    if (auto v = util::Version::parse(p.version)) out.push_back({p.path, *v, p.realpath});
  return out;
}

std::string site_packages(const util::Version& python, bool windows) {
  if (windows) return "Lib/site-packages";
  return "lib/python" + std::to_string(python.major()) + "." + std::to_string(python.minor()) +
         "/site-packages";
}

namespace {
Decision decide_uncached(const manifest::Stack& s, const std::vector<Interpreter>& found);

// python.install's interpreter counts as found, with the version it declares, where nothing the
// stack accepts was found: plan shows the environment it will build before the archive is
// unpacked, and once it is (facts looks only where python.org's installer puts Pythons) it
// plans the same. A machine with an acceptable Python of its own uses that one instead.
std::vector<Interpreter> with_installed(const manifest::Stack& s,
                                        const std::vector<Interpreter>& found) {
  const auto& py = *s.python;
  if (!py.install || choose_interpreter(s, s.platform->id(), found).chosen) return found;
  auto out = found;
  out.push_back({py.install->interpreter, py.install->version.value, py.install->interpreter});
  return out;
}
} // namespace

Decision decide(const manifest::Stack& s, const std::vector<Interpreter>& found_here) {
  const auto& py = *s.python;
  const auto found = with_installed(s, found_here);
  std::string key = std::to_string(lock_fingerprint(py.lock)) + "|" + s.metadata.name + "|" +
                    s.platform->id() + "|" + py.env.value + "|" +
                    (py.interpreter ? py.interpreter->value : "") + "|" +
                    (s.requires_.python ? s.requires_.python->value.str() : "") + "|" +
                    (py.adopt ? "adopt" : "") + "|" + util::join(py.imports, ",");
  for (const auto& i : found)
    key += "|" + i.path + ">" + i.realpath + "=" + i.version.str();
  static std::mutex mutex;
  static std::map<std::string, Decision> memo;
  {
    std::lock_guard<std::mutex> hold(mutex);
    if (auto it = memo.find(key); it != memo.end()) return it->second;
  }
  Decision d = decide_uncached(s, found);
  std::lock_guard<std::mutex> hold(mutex);
  if (memo.size() > 256) memo.clear();
  memo.emplace(std::move(key), d);
  return d;
}

namespace {

Decision decide_uncached(const manifest::Stack& s, const std::vector<Interpreter>& found) {
  Decision d;
  const auto& py = *s.python;
  Choice c = choose_interpreter(s, s.platform->id(), found);
  d.python = c.chosen;
  d.why = c.why;
  d.installs = py.install && d.python && d.python->path == py.install->interpreter;
  if (d.installs)
    d.why = py.install->interpreter + " (Python " + d.python->version.str() +
            "), installed with the stack from python.install: no Python " +
            (s.requires_.python ? s.requires_.python->value.str() + " " : "") +
            "the lock has wheels for was found";
  if (!d.python) {
    d.errors.push_back("python: " + c.why);
    return d;
  }
  if (py.adopted()) return d;
  Selection sel = select(py.lock, s.platform->id(), d.python->version);
  d.errors = sel.errors;
  d.wheels = std::move(sel.wheels);
  if (py.lock.empty())
    d.errors.push_back(
        "python.lock is empty: nothing pins what the environment holds "
        "(tools/lock_env.py writes the lock for " +
        (py.packages.empty() ? std::string("python.packages") : py.packages.front().value) + ")");
  else if (d.wheels.empty())
    d.errors.push_back("python.lock has no wheels for " +
                       target(s.platform->id(), d.python->version));
  d.digest = digest(*d.python, d.wheels, py.imports);
  d.dir = py.env.value + "-" + d.digest.substr(0, 12);
  nlohmann::ordered_json m;
  m["format_version"] = 1;
  m["manifest"] = s.metadata.name;
  m["digest"] = d.digest;
  m["python"] = {{"path", d.python->path}, {"version", d.python->version.str()}};
  m["site_packages"] = site_packages(d.python->version, s.platform->os() == platform::Os::windows);
  m["imports"] = py.imports;
  for (const auto& w : d.wheels)
    m["wheels"].push_back({{"wheel", w.wheel}, {"sha256", w.sha256}});
  d.marker = m.dump(2) + "\n";
  return d;
}

} // namespace

} // namespace gpucfg::pyenv
