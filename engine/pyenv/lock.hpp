// The pure half of a framework environment: which locked wheels a machine gets, which
// interpreter builds it, and the digest that names the result. No I/O; the planner calls these.
#pragma once

#include "manifest/model.hpp"
#include "probe/facts.hpp"
#include "util/version.hpp"

#include <optional>
#include <string>
#include <vector>

namespace gpucfg::pyenv {

// A wheel's file name, read per the binary distribution format: name-version[-build]-python-
// abi-platform.whl, each tag part possibly compressed ("py2.py3", "manylinux1_x86_64.manylinux…").
struct WheelName {
  std::string name, version; // name as written in the file (underscores for '-')
  std::vector<std::string> python, abi, platform;
};
std::optional<WheelName> parse_wheel_name(const std::string& file);

// A source distribution's file name: "termcolor-1.1.0.tar.gz" -> {termcolor, 1.1.0}; nullopt
// for what is no sdist file name (.tar.gz or .zip, name-version).
struct SdistName {
  std::string name, version;
};
std::optional<SdistName> parse_sdist_name(const std::string& file);

// Can this wheel be installed for CPython `python` (X.Y) on the platform `platform_id`?
bool runs_on(const WheelName& w, const std::string& platform_id, const util::Version& python);

// "linux-x86_64/3.11": how lock entries name the targets they were resolved for.
std::string target(const std::string& platform_id, const util::Version& python);

struct Selection {
  std::vector<manifest::LockedWheel> wheels;
  std::vector<std::string> errors; // a project twice, a wheel that cannot run on the target
};
// The lock's wheels for one target: entries naming it in `for`, or with no `for` and tags
// that run there. Exactly one wheel per project, else an error.
Selection select(const std::vector<manifest::LockedWheel>& lock, const std::string& platform_id,
                 const util::Version& python);

// The X.Y versions the lock has wheels for on `platform_id`, newest first.
std::vector<util::Version> locked_pythons(const std::vector<manifest::LockedWheel>& lock,
                                          const std::string& platform_id);

struct Interpreter {
  std::string path;
  util::Version version; // X.Y.Z
  std::string realpath;  // the file it is (facts lists each file once, by one of its names)
};

struct Choice {
  std::optional<Interpreter> chosen;
  std::string why; // what was chosen and why, or why nothing could be
};
// The interpreter that builds the environment: python.interpreter when set (it must be found
// and satisfy the range), else the newest found one that satisfies `requires.python` and has
// wheels in the lock (any, for an adopted environment).
Choice choose_interpreter(const manifest::Stack& s, const std::string& platform_id,
                          const std::vector<Interpreter>& found);

// Names one built environment: the interpreter, the wheels' hashes and the imports. A folder
// `<env>-<digest[:12]>` holds it; the same inputs give the same folder, so a second apply and a
// rollback find it built.
std::string digest(const Interpreter& python, const std::vector<manifest::LockedWheel>& wheels,
                   const std::vector<std::string>& imports);

// The interpreters in the facts whose versions can be read.
std::vector<Interpreter> interpreters(const probe::Facts& facts);

// Everything plan needs to know of the environment, decided once from the manifest and the
// interpreters found: who builds it, from which wheels, into which folder.
struct Decision {
  std::optional<Interpreter> python;
  bool installs = false; // python is python.install's, unpacked by this stack
  std::string why;       // the interpreter chosen and why, or why none could be
  std::vector<manifest::LockedWheel> wheels;
  std::string digest;
  std::string dir;    // <env>-<digest[:12]>: the environment itself; <env> links to it
  std::string marker; // gpucfg-env.json, written last into dir: its presence means "built"
  std::vector<std::string> errors;
};
Decision decide(const manifest::Stack& s, const std::vector<Interpreter>& found);

// site-packages inside an environment for Python X.Y, relative to it.
std::string site_packages(const util::Version& python, bool windows);

} // namespace gpucfg::pyenv
