// The typed manifest: what `decode` makes of a merged YAML tree for one target platform, with
// variables expanded and `when:` conditions applied. Every field keeps the mark of the YAML
// node it came from, so later stages (validate, plan) can point at the line that asked for it.
#pragma once

#include "util/diagnostic.hpp"
#include "util/version.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gpucfg::platform {
class Platform;
}

namespace gpucfg::manifest {

template <class T> struct Located {
  T value{};
  util::Mark mark;
  bool derived = false; // not written there: a default or an addition that follows from `mark`
};

struct Metadata {
  std::string name, description, source;
  util::Mark mark;
};

// "What is this stack for": lets validate check the manifest against the knowledge base.
struct Framework {
  std::string name; // tensorflow | pytorch
  util::Version version;
  // The CUDA variant of a build that bundles its own CUDA (PyTorch's +cu124 wheels): the stack
  // then needs no toolkit, only a driver that can run this CUDA.
  std::optional<Located<util::Version>> cuda;
  util::Mark mark, name_mark, version_mark; // the section, and each value (for `show`)
};

struct DriverRequirement {
  std::string os; // linux | windows
  util::VersionRange range;
  util::Mark mark;
};

struct CompilerRequirement {
  std::string os;       // linux | windows
  std::string compiler; // gcc | clang | msvc
  util::VersionRange range;
  util::Mark mark;
};

struct Requires {
  std::vector<DriverRequirement> driver;
  std::optional<Located<util::VersionRange>> compute_capability;
  std::vector<Located<std::string>> platforms; // empty: any platform
  std::vector<CompilerRequirement> host_compiler;
  std::optional<Located<util::VersionRange>> python;
};

// Where a toolkit or cuDNN comes from (resolved into pinned archives by source/resolve.cpp).
struct Artifact {
  std::string location; // URL or path (relative: to the manifest's folder); wheels: name==version
  std::string sha256;   // pins the bytes; checked while they are unpacked
  std::string url;      // wheels: where the .whl is (else pip download finds it)
  util::Mark mark;
};

struct Source {
  enum class Kind { adopt, archive, redistrib, wheels, directory };
  Kind kind = Kind::adopt;
  std::vector<Artifact> artifacts;     // adopt: none; archive, redistrib, directory: one
  std::vector<std::string> mirrors;    // folders or base URLs tried before the location's own host
  std::vector<std::string> components; // redistrib: which components (cuDNN: "cudnn" by default)
  std::string base_url;                // redistrib: where relative_path points (default NVIDIA's)
  std::string layout = "auto";         // archive: auto | redist | cudnn-legacy | wheel | plain
  std::uint64_t size = 0, unpacked_size = 0; // archive: declared bytes, packed and unpacked
  util::Mark mark;
};

struct Cuda {
  Located<util::Version> version;
  Located<std::string> prefix;
  bool prefix_is_default = true;
  std::vector<Located<std::string>> components;
  std::optional<Source> source;
  bool active = true; // becomes /usr/local/cuda and CUDA_PATH's target
  util::Mark mark;
};

// One step of "copy cuDNN's files into place": files matching `from` (a glob relative to the
// cuDNN package's root, e.g. "lib64/libcudnn.so.8*") go to the folder `to` under the prefix.
struct Placement {
  std::string from;
  Located<std::string> to;    // the prefix joined with the rule's `to` (derived from it)
  util::Mark mark, from_mark; // the rule, and its `from` value
};

struct Cudnn {
  Located<util::Version> version;
  std::optional<Located<util::Version>> cuda; // the CUDA build of cuDNN, e.g. 11.2 or 12
  bool into_cuda = false;                     // the seed's "copy cuDNN into the CUDA tree"
  Located<std::string> prefix;                // == cuda prefix when into_cuda
  std::vector<Placement> place;               // empty: include/, lib/ and bin/ as packaged
  std::optional<Source> source;
  util::Mark mark;
};

struct FileEntry {
  enum class Op { copy, alias, symlink, absent };
  Op op = Op::copy;
  Located<std::string> path;   // what gpucfg manages
  Located<std::string> source; // copy: from; alias/symlink: target
  std::string sha256;
  std::string mode;
  std::string why;
  util::Mark mark;
};

struct EnvVar {
  std::string name;
  std::optional<Located<std::string>> set;
  bool unset = false;
  std::vector<Located<std::string>> prepend, append, remove;
  std::string scope = "system"; // system: every login shell and service; user: the invoking user
  util::Mark mark;
};

// One wheel of an environment's lock: the exact file, its hash, and the targets it was resolved
// for. Two machines of one target get the same bytes (pip --require-hashes semantics).
struct LockedWheel {
  // file name: name-version[-build]-python-abi-platform.whl, or a source distribution's
  // name-version.tar.gz (`sdist:` in the lock), built into a wheel at apply (pyenv/sdist.hpp)
  std::string wheel;
  std::string sha256;               // required: an environment is never built from unpinned bytes
  std::string url;                  // where it is; "" finds it by name on the mirrors and index
  std::vector<std::string> targets; // "linux-x86_64/3.11"; empty: every target its tags allow
  util::Mark mark;
  // sdist: the wheels of its build requirements (setuptools, wheel), locked too
  std::vector<LockedWheel> build{};
  // A file named and not a wheel's: an sdist (the decoder checks its name).
  bool sdist() const {
    return !wheel.empty() && (wheel.size() < 4 || wheel.compare(wheel.size() - 4, 4, ".whl") != 0);
  }
};

// The interpreter itself, installed with the stack where the machine has none it accepts: a
// pinned archive unpacked into `into` (python.org's embeddable distribution on Windows).
struct PythonInstall {
  Located<util::Version> version; // X.Y.Z, what the archive holds (the plan cannot run it yet)
  Located<std::string> into;      // the folder
  std::string interpreter;        // <into>/<program>
  Source source;
  util::Mark mark;
};

// The framework's Python environment (a venv) that apply builds from the lock.
struct Python {
  Located<std::string> env;                        // the venv path people activate
  std::optional<Located<std::string>> interpreter; // else the newest Python found in range
  std::optional<PythonInstall> install;            // python.interpreter, from a pinned source
  std::vector<Located<std::string>> packages;      // what the lock was made from (for people)
  std::string index;                               // a package index (PyTorch's CUDA variants)
  std::vector<std::string> imports;                // checked after the install
  bool activate = true;                            // `gpucfg env` puts <env>/bin first on PATH
  std::vector<LockedWheel> lock;                   // every wheel, every target (tools/lock_env.py)
  bool adopt = false; // the user's own environment: verified, never built or changed
  util::Mark mark;
  bool adopted() const { return adopt; }
};

// A system package the stack needs (the driver, a host compiler, a library), installed through
// the distribution's package manager (packages/): a version or range in Debian's ordering, or
// absent; held where `hold` says so.
struct Package {
  Located<std::string> name;
  std::optional<Located<std::string>> version; // "2.0-1", "535.*", ">= 535, << 536"; none: any
  std::optional<bool> hold;                    // none: the selection is left as it is
  bool absent = false;
  std::string why;
  util::Mark mark;
};

struct Verify {
  std::string level = "static";                  // static | load | compute | framework
  std::optional<Located<std::string>> framework; // tensorflow | pytorch smoke test
  util::Mark mark;
};

struct Stack {
  std::string api_version, kind;
  Metadata metadata;
  std::vector<std::string> files_read; // the extends chain, bases first
  const platform::Platform* platform = nullptr;
  std::map<std::string, Located<std::string>> vars;
  std::optional<Framework> framework;
  Requires requires_;
  std::optional<Cuda> cuda;
  std::optional<Cudnn> cudnn;
  std::vector<FileEntry> files;
  std::vector<EnvVar> env;
  std::vector<Located<std::string>> loader_paths;
  std::optional<Python> python;
  std::vector<Package> packages;
  Verify verify;
};

const char* to_string(FileEntry::Op op);
const char* to_string(Source::Kind k);

} // namespace gpucfg::manifest
