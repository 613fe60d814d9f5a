// Platform-specific layout and naming behind one interface. Everything that differs between
// Linux and Windows (default prefixes, library file names, path syntax, PATH separators) is
// asked of a Platform; no other code tests the OS by name.
#pragma once

#include "util/version.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace gpucfg::platform {

enum class Os { linux, windows };

class Platform {
public:
  virtual ~Platform() = default;

  // NVIDIA's platform ids, as used in redistrib JSON: linux-x86_64, linux-sbsa, linux-aarch64,
  // windows-x86_64.
  virtual const std::string& id() const = 0;
  virtual Os os() const = 0;
  std::string os_name() const { return os() == Os::linux ? "linux" : "windows"; }
  virtual std::string arch() const = 0;

  // Where a CUDA toolkit of this version goes by default.
  virtual std::string default_cuda_prefix(const util::Version& cuda) const = 0;
  // Library and executable folders inside a toolkit prefix, relative ("lib64", "lib/x64").
  virtual std::string libdir() const = 0;
  virtual std::string bindir() const = 0;
  // Separator of PATH-like variables.
  virtual char list_separator() const = 0;

  virtual bool is_absolute(std::string_view path) const = 0;
  // The path with this platform's separators ('/' becomes '\' on Windows).
  virtual std::string native(std::string_view path) const = 0;
  // The file a loader asks for: ("cudnn", "8") -> libcudnn.so.8 or cudnn64_8.dll.
  virtual std::string library_file(std::string_view name, std::string_view version) const = 0;
};

// The platform with this id, or nullptr.
const Platform* find(std::string_view id);
// The platform gpucfg itself runs on.
const Platform& host();
std::vector<std::string> known_ids();

} // namespace gpucfg::platform
