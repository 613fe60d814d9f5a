#include "plan/model.hpp"

#include "plan/observed.hpp"
#include "util/strings.hpp"

namespace gpucfg::plan {

// The same strings as the JSON form (plan_json.hpp), for people.
const char* to_string(Op op) {
  switch (op) {
  case Op::unknown:
    return "unknown";
  case Op::write:
    return "write";
  case Op::symlink:
    return "symlink";
  case Op::remove:
    return "remove";
  case Op::remove_tree:
    return "remove-tree";
  case Op::remove_dir:
    return "remove-dir";
  case Op::install_tree:
    return "install-tree";
  case Op::restore_tree:
    return "restore-tree";
  case Op::build_env:
    return "build-env";
  case Op::setenv:
    return "setenv";
  case Op::adopt:
    return "adopt";
  case Op::run:
    return "run";
  case Op::package:
    return "package";
  }
  return "unknown";
}

const char* to_string(Resource r) {
  switch (r) {
  case Resource::unknown:
    return "";
  case Resource::toolkit:
    return "toolkit";
  case Resource::active_toolkit:
    return "active-toolkit";
  case Resource::cudnn:
    return "cudnn";
  case Resource::file:
    return "file";
  case Resource::env:
    return "env";
  case Resource::loader:
    return "loader";
  case Resource::python_env:
    return "python-env";
  case Resource::folder:
    return "folder";
  case Resource::package:
    return "package";
  }
  return "";
}

const ManagedEntry* find_entry(const std::vector<ManagedEntry>& entries, const std::string& path) {
  for (const auto& e : entries)
    if (e.path == path || util::forward_slashes(e.path) == util::forward_slashes(path)) return &e;
  return nullptr;
}

const char* to_string(PathKind k) {
  switch (k) {
  case PathKind::absent:
    return "absent";
  case PathKind::file:
    return "file";
  case PathKind::symlink:
    return "symlink";
  case PathKind::dir:
    return "dir";
  case PathKind::other:
    return "other";
  case PathKind::unknown:
    return "unknown";
  }
  return "unknown";
}

std::string no_source(Resource r, const std::string& platform) {
  return std::string("the manifest names no ") +
         (r == Resource::cudnn ? "cudnn.source" : "cuda.source") +
         (platform.empty() ? "" : " for " + platform) + ", so there is nothing to install it from";
}

std::string edited_aside(const std::string& path, const std::string& recorded_sha256,
                         const std::string& now_sha256, int generation) {
  if (recorded_sha256.empty() || now_sha256.empty() || now_sha256 == recorded_sha256) return {};
  return path + ".gpucfg-edited-" + std::to_string(generation);
}

} // namespace gpucfg::plan
