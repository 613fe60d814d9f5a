// Where an archive's entries go in an install tree. NVIDIA ships the same files in three shapes:
//   redist archives   <name>-archive/{bin,include,lib,…}     (CUDA and cuDNN redist .tar.xz/.zip)
//   legacy cuDNN      cuda/{include,lib64,lib/x64,bin}       (cuDNN ≤ 8.x .tgz/.zip)
//   PyPI wheels       nvidia/<component>/{bin,include,lib}   plus <dist>.dist-info/
// Each maps onto one prefix layout: include/, lib/ (lib64/ folded into it; a lib64 link is
// made afterwards), bin/, and for wheels dist-info/<dist>.dist-info/, where facts finds the
// version. Pure functions.
#pragma once

#include <optional>
#include <string>

namespace gpucfg::source {

enum class Layout { automatic, redist, cudnn_legacy, wheel, plain };

std::optional<Layout> parse_layout(const std::string& name); // "auto", "redist", …
const char* to_string(Layout l);

// An archive entry name made safe to join under a folder: "./a//b/" -> "a/b". nullopt (with
// *why) for absolute paths, drive letters, "..", NUL or backslash separators in any component.
std::optional<std::string> safe_relative(const std::string& name, std::string* why);

// The layout an archive has, from the first entry whose shape says (nullopt: not yet known).
std::optional<Layout> detect_layout(const std::string& relative);

// Where a safe relative entry goes in the install tree; "" to leave it out (the archive's own
// top folder, wheel __init__.py files). `top_level_file`: a non-folder entry at the archive's
// root (licenses), kept under share/licenses/<component>/.
std::string map_entry(Layout layout, const std::string& relative, bool is_dir,
                      const std::string& component);

} // namespace gpucfg::source
