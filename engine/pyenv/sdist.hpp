// Locked source distributions (issue #25): a project published as source only (termcolor 1.1.0,
// which TensorFlow 2.4 and 2.5 need) is locked by its sdist's sha256 like a wheel, with the
// wheels of its own build requirements (setuptools, wheel) locked beside it. Apply builds it
// once into a wheel with the environment's interpreter, in an environment of those build
// wheels alone (PEP 517's isolation, nothing fetched), keeps the wheel in the store by (sdist,
// build wheels, bytecode tag, platform), and installs it like any other wheel.
#pragma once

#include "pyenv/build.hpp"
#include "source/artifact.hpp"

#include <optional>
#include <string>
#include <vector>

namespace gpucfg::pyenv {

// The artifacts an environment installs: each sdist (layout "sdist") replaced by the wheel built
// from it, found in the store or built now; its build requirements (Artifact::build_of) left
// out. `python`: the interpreter the environment is made with; `tag`: its bytecode tag (cp39).
// Returns what failed, or "".
std::string build_sdists(std::vector<source::Artifact>& artifacts, const std::string& python,
                         const std::string& tag, const BuildOptions& o);

} // namespace gpucfg::pyenv
