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

// The first pair is what any other string reads as.
NLOHMANN_JSON_SERIALIZE_ENUM(Op, {{Op::unknown, "unknown"},
                                  {Op::write, "write"},
                                  {Op::symlink, "symlink"},
                                  {Op::remove, "remove"},
                                  {Op::remove_tree, "remove-tree"},
                                  {Op::remove_dir, "remove-dir"},
                                  {Op::install_tree, "install-tree"},
                                  {Op::restore_tree, "restore-tree"},
                                  {Op::build_env, "build-env"},
                                  {Op::setenv, "setenv"},
                                  {Op::adopt, "adopt"},
                                  {Op::run, "run"},
                                  {Op::package, "package"}})
NLOHMANN_JSON_SERIALIZE_ENUM(Resource, {{Resource::unknown, ""},
                                        {Resource::toolkit, "toolkit"},
                                        {Resource::active_toolkit, "active-toolkit"},
                                        {Resource::cudnn, "cudnn"},
                                        {Resource::file, "file"},
                                        {Resource::env, "env"},
                                        {Resource::loader, "loader"},
                                        {Resource::python_env, "python-env"},
                                        {Resource::folder, "folder"},
                                        {Resource::package, "package"}})

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Check, name, outcome, detail, source)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Action, op, resource, path, change, summary, reason,
                                                origin, content, from, sha256, mode, link_target,
                                                details, artifacts, from_host, key, keep_as,
                                                mtime_ns, version, hold, files, files_from)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Managed, path, resource, kind, manifest, scope)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Plan, format_version, manifest, files, platform,
                                                root, facts_source, host, fingerprint,
                                                observed_paths, source_dirs, observed_variables,
                                                checks, actions, managed, errors, warnings, notes,
                                                source_folders, manifest_file, checksum)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ManagedEntry, path, kind, sha256, link_target, mode,
                                                size, mtime_ns, resource, manifest, value, scope,
                                                key, artifacts, uses, hold)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Generation, number, manifest, created,
                                                plan_fingerprint, entries, folders)

} // namespace gpucfg::plan
