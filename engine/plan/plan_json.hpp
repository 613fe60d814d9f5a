// JSON forms of plans (schemas/plan.schema.json) and generation records. Missing fields in a
// file read back take their defaults.
#pragma once

#include "plan/model.hpp"
#include "plan/observed.hpp"

#include <nlohmann/json.hpp>

namespace gpucfg::source {
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Artifact, name, component, file, sha256, size,
                                                unpacked_size, layout, components, locations, pip,
                                                find_links, index, available)
} // namespace gpucfg::source

namespace gpucfg::plan {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Check, name, outcome, detail, source)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Action, op, resource, path, change, summary, reason,
                                                origin, content, from, sha256, mode, link_target,
                                                details, artifacts, from_host)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Managed, path, resource, kind, manifest)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Plan, format_version, manifest, files, platform,
                                                root, facts_source, fingerprint, observed_paths,
                                                source_dirs, checks, actions, managed, errors,
                                                warnings, notes)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ManagedEntry, path, kind, sha256, link_target, mode,
                                                size, mtime_ns, resource, manifest)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Generation, number, manifest, created,
                                                plan_fingerprint, entries)

} // namespace gpucfg::plan
