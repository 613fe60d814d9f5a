// Safe YAML reading. Manifests come from team repositories and pull requests, so the reader
// treats its input as hostile: it refuses, with a positioned message and never a crash or hang,
//   - files over `max_bytes`, NUL bytes, invalid UTF-8,
//   - duplicate keys (yaml-cpp accepts them silently; the second would win unseen),
//   - non-string keys, YAML tags, more than one document,
//   - nesting deeper than `max_depth`,
//   - alias expansion past `max_nodes` (a "billion laughs" file stops there).
// On any error it returns nullptr and the reasons are in `diags`.
#pragma once

#include "util/diagnostic.hpp"
#include "yaml/value.hpp"

#include <string>

namespace gpucfg::yaml {

struct ReadLimits {
  std::size_t max_bytes = 1 << 20; // 1 MiB: the largest curated manifest is under 8 KiB
  int max_depth = 64;
  std::size_t max_nodes = 100000;
};

// Parses `text` (the contents of `file`, used for marks) into a positioned tree.
ValuePtr read_yaml(const std::string& file, const std::string& text, util::Diagnostics& diags,
                   const ReadLimits& limits = {});

// Reads the file from disk (registering its text with `sources` for caret lines) and parses it.
// Why `path` cannot be read as a manifest (missing, a folder, a named pipe, a device), or empty.
std::string not_a_file(const std::string& path);

ValuePtr read_yaml_file(const std::string& path, util::SourceSet& sources, util::Diagnostics& diags,
                        const ReadLimits& limits = {});

// Offset of the first byte that breaks UTF-8, or npos when the text is valid.
std::size_t find_invalid_utf8(const std::string& text);

} // namespace gpucfg::yaml
