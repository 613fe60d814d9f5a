// Parsed YAML kept for next time: the knowledge base (about 40 KB of YAML that every plan reads)
// costs yaml-cpp several milliseconds to parse, a third of a converged plan; its tree read back
// from a compact binary form costs a few hundred microseconds. Entries are named by the sha256
// of the text (with the format's version), so an edited file is parsed afresh and two texts
// never share one; only a parse without errors is kept, and marks (file, line, column) survive,
// so a message about a cached file reads as one about the file. The cache is a cache: anything
// unreadable in it is parsed again.
#pragma once

#include "util/diagnostic.hpp"
#include "yaml/reader.hpp"

#include <optional>
#include <string>

namespace gpucfg::yaml {

// read_yaml_file, through `<cache_dir>/yaml/` ("" reads without one).
ValuePtr read_yaml_file_cached(const std::string& path, const std::string& cache_dir,
                               util::SourceSet& sources, util::Diagnostics& diags);

// The binary form, exposed for tests: encode, then decode with the file name marks carry.
std::string encode(const Value& v);
ValuePtr decode(const std::string& bytes, const std::string& file);

} // namespace gpucfg::yaml
