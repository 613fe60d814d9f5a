// Shared by the unit tests: manifests from strings, in a temporary folder when files are needed.
#pragma once

#include "knowledge/knowledge.hpp"
#include "manifest/decode.hpp"
#include "manifest/validate.hpp"
#include "yaml/reader.hpp"

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace gpucfg::test {

namespace fs = std::filesystem;

// A folder removed when the test ends.
class TempDir {
public:
  TempDir() {
    std::random_device rd;
    m_path = fs::temp_directory_path() / ("gpucfg-test-" + std::to_string(rd()));
    fs::create_directories(m_path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(m_path, ec);
  }
  const fs::path& path() const { return m_path; }
  std::string write(const std::string& name, const std::string& text) const {
    fs::path p = m_path / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

private:
  fs::path m_path;
};

inline const knowledge::Knowledge& kb() {
  static const knowledge::Knowledge k = [] {
    util::SourceSet s;
    util::Diagnostics d;
    auto loaded = knowledge::Knowledge::load(GPUCFG_SOURCE_DIR, s, d);
    if (!loaded) throw std::runtime_error("knowledge failed to load:\n" + d.render(s));
    return *loaded;
  }();
  return k;
}

// The smallest valid manifest head, so tests state only what they are about.
inline std::string head(const std::string& name = "t") {
  return "apiVersion: gpucfg/v1\nkind: Stack\nmetadata: {name: " + name + "}\n";
}

struct Result {
  std::optional<manifest::Stack> stack;
  util::Diagnostics diags;
  util::SourceSet sources;
  std::string text() const { return diags.render(sources); }
};

// Decodes (and validates) a manifest given as text, for one platform.
inline Result decode_text(const std::string& yaml_text,
                          const std::string& platform = "linux-x86_64", bool validate = true) {
  TempDir dir;
  std::string path = dir.write("m.yaml", yaml_text);
  Result r;
  auto loaded = manifest::load(path, r.sources, r.diags);
  if (loaded.tree) r.stack = manifest::decode(loaded, *platform::find(platform), r.diags);
  if (r.stack && validate) manifest::validate(*r.stack, kb(), r.diags);
  return r;
}

inline bool mentions(const Result& r, const std::string& needle) {
  return r.text().find(needle) != std::string::npos;
}

} // namespace gpucfg::test
