// Everything the executor changes a machine through, handed to it (ninja's Builder takes its
// DiskInterface and CommandRunner the same way): the disk, the programs it runs, the Windows
// registry, the store and how its trees are unpacked, and how environments are built. The CLI's
// machine is this computer (session/run.cpp makes it); the unit tests' is in memory.
#pragma once

#include "disk/disk.hpp"
#include "packages/manager.hpp"
#include "source/artifact.hpp"
#include "store/fill.hpp"
#include "store/store.hpp"
#include "util/process.hpp"
#include "util/registry.hpp"

#include <string>
#include <vector>

namespace gpucfg::exec {

using disk::Status;

// Builds a framework environment in the folder it will be used from (a venv cannot move).
class EnvBuilder {
public:
  virtual ~EnvBuilder() = default;
  // `dir` does not exist yet; `python` is the interpreter; `marker` is gpucfg-env.json's text.
  // The store entries (wheel trees) it linked from go to *uses. What failed, or "".
  virtual Status build(const std::string& dir, const std::string& python,
                       const std::vector<source::Artifact>& wheels, const std::string& marker,
                       std::vector<std::string>* uses) = 0;
  // Makes what build() will need of `wheels` (in the store already) ahead of it, outside the
  // machine: apply calls it while the rest still downloads (session/prepare.hpp). Whatever
  // fails here is left for build() to meet and report.
  virtual void prepare(const std::string& python, const std::vector<source::Artifact>& wheels) {
    (void)python, (void)wheels;
  }
};

struct Machine {
  disk::Disk& disk;
  util::ProcessRunner& runner;
  util::Registry& registry;
  store::Store& store;
  store::Unpacker& unpacker;
  EnvBuilder& envs;
  std::string root;                        // "" for this computer's /; paths are joined under it
  std::string ldconfig = "/sbin/ldconfig"; // this computer's, run with -r ROOT under a root
  unsigned jobs = 0;                       // archives unpacked at once; 0: one per core
  bool checksum = false; // check store entries by content, not size and mtime, before use
  // The system's package manager (apt and dpkg under `root`); null where there is none, and a
  // plan with package actions is then refused before anything changes.
  packages::Manager* packages = nullptr;

  std::string host(const std::string& machine_path) const { return root + machine_path; }
};

} // namespace gpucfg::exec
