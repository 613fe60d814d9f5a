// Where an archive's entries go in an install tree. NVIDIA ships the same files in three shapes:
//   redist archives   <name>-archive/{bin,include,lib,…}     (CUDA and cuDNN redist .tar.xz/.zip)
//   legacy cuDNN      cuda/{include,lib64,lib/x64,bin}       (cuDNN ≤ 8.x .tgz/.zip)
//   PyPI wheels       nvidia/<component>/{bin,include,lib}   plus <dist>.dist-info/
//   CUDA runfiles     builds/<component>/{bin,include,lib64,…} (11.0+; 10.1-10.2 have one
//                     builds/cuda-toolkit/); 10.0 nests run_files/cuda-linux.*.run, whose own
//                     payload is the toolkit tree as installed (unpacked as `plain`)
//   Python env        a wheel's files placed as an installer (pip, uv) places them (python)
//   Windows .exe      <component>/<part>/{bin,include,lib/x64,…} (7-Zip self-extracting;
//                     10.x names the component folder without the cuda_/lib prefix)
// Each maps onto one prefix layout: include/, lib/ (lib64/ folded into it; a lib64 link is
// made afterwards), bin/, and for wheels dist-info/<dist>.dist-info/, where facts finds the
// version. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace gpucfg::source {

enum class Layout {
  automatic,
  redist,
  cudnn_legacy,
  wheel,
  runfile,
  windows_installer,
  plain,
  python
};

std::optional<Layout> parse_layout(const std::string& name); // "auto", "redist", …
const char* to_string(Layout l);

// An archive entry name made safe to join under a folder: "./a//b/" -> "a/b"; "./" -> "" (the
// root, which callers leave out). nullopt (with *why) for absolute paths, drive letters, "..",
// NUL or backslash separators in any component.
std::optional<std::string> safe_relative(const std::string& name, std::string* why);

// The layout an archive has, from the first entry whose shape says (nullopt: not yet known).
std::optional<Layout> detect_layout(const std::string& relative);

// Where a safe relative entry goes in the install tree; "" to leave it out (the archive's own
// top folder, wheel __init__.py files). `top_level_file`: a non-folder entry at the archive's
// root (licenses), kept under share/licenses/<component>/.
std::string map_entry(Layout layout, const std::string& relative, bool is_dir,
                      const std::string& component);

// A wheel installed into a Python environment, per the binary distribution format:
// <dist>.data/{purelib,platlib}/X -> <site>/X, scripts/X -> bin/X, headers/X ->
// include/site/pythonX.Y/<dist>/X, data/X -> X; everything else -> <site>/X. `site` is
// site-packages relative to the environment ("lib/python3.11/site-packages").
std::string map_python_entry(const std::string& relative, const std::string& site);

// Installers hold every component of a release (and the driver, samples, Nsight): which of their
// component folders to take. `wanted` holds the manifest's names ("nvcc", "cublas") or NVIDIA's
// ("cuda_nvcc", "libcublas"); empty takes all. A folder "cuda_X" or "libX" matches "X".
bool component_selected(const std::vector<std::string>& wanted, const std::string& folder);

// The component folder an installer entry belongs to ("" for none), for component_selected.
std::string installer_component(Layout layout, const std::string& relative);

// The targets/<arch> folder name CUDA uses on a platform: x86_64-linux, sbsa-linux, …; "" for
// Windows.
std::string target_arch(const std::string& platform_id);

// The one mode policy for every source (archives, wheels, folders): what a file or folder is
// installed with. setuid, setgid and sticky bits go, and nothing is writable by group or others
// (as installers leave a root-owned prefix); a folder stays usable by its owner.
unsigned installed_mode(unsigned mode, bool is_dir);

// PEP 503's normal form of a project name: lower case, runs of '-', '_', '.' made one '-'.
std::string pep503_name(const std::string& project);

} // namespace gpucfg::source
