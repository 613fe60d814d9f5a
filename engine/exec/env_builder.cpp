#include "exec/env_builder.hpp"

#include "pyenv/build.hpp"

namespace gpucfg::exec {

Status PyenvBuilder::build(const std::string& dir, const std::string& python,
                           const std::vector<source::Artifact>& wheels, const std::string& marker,
                           std::vector<std::string>* uses) {
  pyenv::BuildOptions o;
  o.store = &m_store;
  o.jobs = m_jobs;
  o.checksum = m_checksum;
  return pyenv::build(dir, python, wheels, marker, o, uses);
}

void PyenvBuilder::prepare(const std::string& python, const std::vector<source::Artifact>& wheels) {
  pyenv::BuildOptions o;
  o.store = &m_store;
  o.jobs = m_jobs;
  (void)pyenv::prepare(python, wheels, o);
}

} // namespace gpucfg::exec
