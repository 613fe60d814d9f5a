// Lock files: what a manifest resolves to, per platform, written beside it (`<name>.lock.json`,
// schemas/lock.schema.json) and committed with it, like Terraform's .terraform.lock.hcl or
// Nix's flake.lock. One format for every kind of artifact (toolkit and cuDNN archives, the
// wheels NVIDIA publishes, a framework environment's wheels): its role, name, file, sha256,
// size, where it comes from and through what (an index, a wheel requirement, a URL).
//
// plan and apply read it when it is there: the manifest must still resolve to what the lock
// says (its resolved form's hash, and every artifact's pin), or the plan fails with the command
// that updates the lock; an archive the manifest leaves unpinned takes the lock's pin. Nothing
// is re-resolved silently: a change shows as a lock change in review.
#pragma once

#include "session/lock_model.hpp"
#include "session/planning.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gpucfg::session {

// `dir/name.yaml` -> `dir/name.lock.json`.
std::string lock_path(const std::string& manifest);

// nullopt and *error when the file is not a lock gpucfg can read.
std::optional<LockFile> read_lock(const std::string& path, std::string* error);
std::string lock_json_text(const LockFile& lock);

// The hash that ties a lock to the manifest: its resolved form for the stack's platform, with
// the manifest's folder written as "." so a clone elsewhere agrees.
std::string resolved_sha256(const manifest::Stack& stack, const std::string& manifest_path);

// The lock for every platform the manifest declares (or `platforms`), its sources resolved as
// plan would (the machine's mirrors tried first, the pins checked where known).
std::optional<LockFile> make_lock(const std::string& manifest_path,
                                  const std::vector<std::string>& platforms, const PlanRequest& req,
                                  Context& ctx, Reporter& report);

// Plan's side: `resolved` checked against the lock's entry for the stack's platform (unpinned
// artifacts take the lock's pin). The errors, each saying how to update the lock.
std::vector<std::string> hold_to_lock(const LockFile& lock, const std::string& lock_file,
                                      const manifest::Stack& stack,
                                      const std::string& manifest_path,
                                      std::map<std::string, source::Resolved>& resolved);

} // namespace gpucfg::session
