// From a merged YAML tree to a typed Stack for one target platform: types checked, unknown keys
// reported (with "did you mean"), `when:` applied, `${…}` expanded, paths made native and
// checked to be absolute, defaults filled in (the CUDA prefix per platform).
// All problems are collected in `diags`; the Stack is returned only when there were none.
#pragma once

#include "manifest/loader.hpp"
#include "manifest/model.hpp"
#include "platform/platform.hpp"

#include <optional>

namespace gpucfg::manifest {

std::optional<Stack> decode(const Loaded& loaded, const platform::Platform& target,
                            util::Diagnostics& diags);

// The platforms a manifest declares (requires.platforms), read without decoding the rest; empty
// when it declares none. Used to validate a manifest for each platform it supports.
std::vector<std::string> declared_platforms(const Value& tree);

} // namespace gpucfg::manifest
