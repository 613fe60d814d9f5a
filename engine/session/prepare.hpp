// Unpacking overlapped with downloading, the way uv streams wheels into its cache: each wheel an
// environment of the plan needs is made into its store tree (unpacked, compiled) as soon as it is
// in the store, on a thread beside the downloads still running. Store trees are not the machine:
// the promise that nothing changes before every artifact is in the store still holds, and the
// executor's build finds the trees made and only links them.
#pragma once

#include "exec/machine.hpp"
#include "plan/model.hpp"

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gpucfg::session {

class Preparer {
public:
  // The wheels of the plan's environment actions, each with the interpreter that builds it.
  Preparer(exec::EnvBuilder& envs, const plan::Plan& p);
  ~Preparer();
  Preparer(const Preparer&) = delete;
  Preparer& operator=(const Preparer&) = delete;

  // `a` is in the store now (any thread): prepared soon if an environment needs it.
  void landed(const source::Artifact& a);
  // No more will land: waits for what was handed over.
  void finish();

private:
  void loop();

  exec::EnvBuilder& m_envs;
  std::map<std::string, std::string> m_python_of; // wheel sha256 -> interpreter
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::map<std::string, std::vector<source::Artifact>> m_waiting; // by interpreter
  bool m_done = false;
  std::thread m_thread;
};

} // namespace gpucfg::session
