// The knowledge base: compatibility facts loaded from the data files in knowledge/, each row
// with the source it came from. Nothing here is a C++ literal, so a new CUDA release is a
// data change reviewed like any other.
//
// Queries answer "what does the data say", or nothing when the data has no row: callers must
// treat "unknown" as unknown, never as "fine".
#pragma once

#include "util/diagnostic.hpp"
#include "util/version.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gpucfg::knowledge {

struct SourceRef {
  std::string id;
  std::string title, url;
  std::string status; // confirmed | 2nd-hand | inferred | unconfirmed
  util::Mark mark;    // the row in the data file

  bool unconfirmed() const { return status == "unconfirmed"; }
  // "NVIDIA CUDA Toolkit Release Notes, … <url>"
  std::string cite() const;
};

struct ToolkitDriver {
  util::Version cuda;
  std::string label;
  std::optional<util::Version> linux, windows;
  bool prerelease = false; // an RC: a fact, never the row chosen for a release
  SourceRef source;
  const std::optional<util::Version>& for_os(const std::string& os) const {
    return os == "windows" ? windows : linux;
  }
};

struct MinorCompat {
  unsigned long cuda_major = 0;
  std::optional<util::Version> linux, windows;
  std::optional<util::Version> below; // drivers from here on run it through backward compatibility
  SourceRef source;
};

struct Arch {
  util::Version sm;
  std::string name;
  std::optional<util::Version> added, removed;
  std::optional<util::Version> renamed_to; // same GPUs, new name from `removed` on
  SourceRef source;
};

struct CudnnRelease {
  std::optional<util::Version> version;
  std::optional<util::VersionRange> range;
  std::vector<util::Version> builds;
  std::map<std::string, std::string> sha256; // build -> Linux x86_64 archive hash
  std::string note;
  SourceRef source;
};

// The files a cuDNN package holds, for one major version on one OS (knowledge/cudnn.yaml
// `files`): what a plan shows a placement rule will match before the archive is at hand.
struct CudnnFiles {
  unsigned long major = 0;
  std::string os;
  std::vector<std::string> files;     // relative to the package as gpucfg unpacks it
  std::vector<std::string> libraries; // Linux: each as lib/NAME.so.MAJOR and lib/NAME.so.X.Y.Z
  SourceRef source;
  // Every file of release `v` (its first three parts make the full sonames), sorted.
  std::vector<std::string> of(const util::Version& v) const;
};

struct TensorflowBuild {
  util::Version version;   // the patch release the curated stack installs (newest on the index)
  util::Version tested_as; // the release the tested-configuration table names, when another
  std::string os;
  util::Version cuda, cudnn;
  std::string python, compiler;
  util::VersionRange python_range;
  SourceRef source;
};

struct PytorchVariant {
  util::Version cuda, cudnn;
  std::string channel; // stable | experimental
};

struct PytorchRelease {
  util::Version version;
  util::VersionRange python_range;
  std::vector<PytorchVariant> variants;
  SourceRef source;
};

struct PlatformRule {
  std::string framework, platform, why;
  util::VersionRange versions;
  bool supported = false;
  SourceRef source;
};

struct HostCompilers {
  util::Version cuda; // from this release until the next row
  util::VersionRange gcc, msvc;
  SourceRef source;
};

class Knowledge {
public:
  // Loads every data file in `dir`. Malformed data is reported like a manifest error.
  // `cache_dir`: where parsed files are kept for the next run (yaml/cache.hpp); "" for none.
  static std::optional<Knowledge> load(const std::string& dir, util::SourceSet& sources,
                                       util::Diagnostics& diags, const std::string& cache_dir = "");

  // The toolkit-driver row for a release. "11.2" picks the lowest row among 11.2.x (the GA);
  // "11.2.2" picks that update. nullptr when unknown.
  const ToolkitDriver* toolkit_driver(const util::Version& cuda) const;
  const MinorCompat* minor_compat(unsigned long cuda_major) const;
  const Arch* arch(const util::Version& sm) const;
  const std::vector<Arch>& archs() const { return m_archs; }
  // Every release row that describes this cuDNN version.
  std::vector<const CudnnRelease*> cudnn(const util::Version& v) const;
  // The files of cuDNN `v`'s packages for `os` ("linux", "windows"); nullptr when not known.
  const CudnnFiles* cudnn_files(const util::Version& v, const std::string& os) const;
  // Rows for a TensorFlow version ("2.5" matches 2.5.0) on an OS.
  const TensorflowBuild* tensorflow(const util::Version& v, const std::string& os) const;
  const std::vector<TensorflowBuild>& tensorflow_builds() const { return m_tf; }
  const PytorchRelease* pytorch(const util::Version& v) const;
  const std::vector<PytorchRelease>& pytorch_releases() const { return m_torch; }
  // A rule saying this framework version does not run on this platform, if any.
  const PlatformRule* platform_rule(const std::string& framework, const util::Version& v,
                                    const std::string& platform) const;
  const HostCompilers* host_compilers(const util::Version& cuda) const;
  const SourceRef* source(const std::string& id) const;

private:
  std::map<std::string, SourceRef> m_sources;
  std::vector<ToolkitDriver> m_drivers;
  std::vector<MinorCompat> m_minor;
  std::vector<Arch> m_archs;
  std::vector<CudnnRelease> m_cudnn;
  std::vector<CudnnFiles> m_cudnn_files;
  std::vector<TensorflowBuild> m_tf;
  std::vector<PytorchRelease> m_torch;
  std::vector<PlatformRule> m_rules;
  std::vector<HostCompilers> m_compilers;

  friend class Loader;
};

// The folder holding knowledge/ and schemas/: $GPUCFG_DATA_DIR, else the build-time default.
std::string data_dir();

} // namespace gpucfg::knowledge
