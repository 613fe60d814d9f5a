// A Host over a Disk: the machine the probe and the observer see is whatever that Disk holds
// (a FakeDisk in the unit tests, so planning, applying and planning again run in-process against
// one machine in memory). Machine paths are the Disk's paths; links are followed by the Host's
// rules (an absolute target stays inside the Disk). Programs cannot run there: run() says so.
#pragma once

#include "disk/disk.hpp"
#include "probe/host.hpp"

#include <map>
#include <string>

namespace gpucfg::probe {

class DiskHost : public Host {
public:
  explicit DiskHost(const disk::Disk& d, std::map<std::string, std::string> env = {})
      : m_disk(d), m_env(std::move(env)) {}

  const std::string& root() const override { return m_root; }
  std::optional<std::string> read(const std::string& path, std::size_t max_bytes) const override;
  std::vector<std::string> list(const std::string& dir) const override;
  bool is_dir(const std::string& path) const override;
  bool is_file(const std::string& path) const override;
  bool is_executable(const std::string& path) const override;
  std::optional<FileStat> lstat(const std::string& path) const override;
  std::string host_path(const std::string& path) const override { return path; }
  std::optional<std::string> read_link(const std::string& path) const override;
  std::string resolve(const std::string& path) const override;
  std::optional<std::string> env(const std::string& name) const override;
  std::vector<std::string> env_names(const std::string& prefix) const override;
  RunResult run(const std::vector<std::string>& argv,
                std::chrono::milliseconds timeout) const override;

private:
  const disk::Disk& m_disk;
  std::map<std::string, std::string> m_env;
  std::string m_root = "/";
};

} // namespace gpucfg::probe
