// The EnvBuilder of a real machine: pyenv::build, linking wheels from the store.
#pragma once

#include "exec/machine.hpp"

namespace gpucfg::exec {

class PyenvBuilder : public EnvBuilder {
public:
  PyenvBuilder(store::Store& store, unsigned jobs, bool checksum)
      : m_store(store), m_jobs(jobs), m_checksum(checksum) {}
  Status build(const std::string& dir, const std::string& python,
               const std::vector<source::Artifact>& wheels, const std::string& marker,
               std::vector<std::string>* uses) override;
  void prepare(const std::string& python, const std::vector<source::Artifact>& wheels) override;

private:
  store::Store& m_store;
  unsigned m_jobs;
  bool m_checksum;
};

} // namespace gpucfg::exec
