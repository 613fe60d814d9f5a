// Checks that need no machine: a decoded Stack against itself and against the knowledge base.
// Each finding cites the data row behind it. A finding that rests on a row marked unconfirmed is
// a warning, never an error.
#pragma once

#include "knowledge/knowledge.hpp"
#include "manifest/model.hpp"

namespace gpucfg::manifest {

void validate(const Stack& stack, const knowledge::Knowledge& kb, util::Diagnostics& diags);

} // namespace gpucfg::manifest
