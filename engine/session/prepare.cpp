#include "session/prepare.hpp"

#include "util/strings.hpp"

namespace gpucfg::session {

Preparer::Preparer(exec::EnvBuilder& envs, const plan::Plan& p) : m_envs(envs) {
  for (const auto& a : p.actions)
    if (a.op == plan::Op::build_env && !a.from.empty())
      for (const auto& art : a.artifacts)
        if (util::ends_with(art.file, ".whl") && !art.sha256.empty())
          m_python_of.emplace(art.sha256, a.from);
  if (!m_python_of.empty()) m_thread = std::thread([this] { loop(); });
}

Preparer::~Preparer() {
  finish();
}

void Preparer::landed(const source::Artifact& a) {
  auto it = m_python_of.find(a.sha256);
  if (it == m_python_of.end()) return;
  std::lock_guard<std::mutex> lock(m_mutex);
  m_waiting[it->second].push_back(a);
  m_cv.notify_all();
}

void Preparer::finish() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_done = true;
  }
  m_cv.notify_all();
  if (m_thread.joinable()) m_thread.join();
}

void Preparer::loop() {
  std::unique_lock<std::mutex> lock(m_mutex);
  for (;;) {
    m_cv.wait(lock, [&] { return m_done || !m_waiting.empty(); });
    if (m_waiting.empty()) return;
    // Whatever landed since the last batch, as one batch: its unpacking runs on every core and
    // its bytecode workers start once, however the downloads trickle in.
    auto batch = std::move(m_waiting);
    m_waiting.clear();
    lock.unlock();
    for (const auto& [python, wheels] : batch)
      m_envs.prepare(python, wheels);
    lock.lock();
  }
}

} // namespace gpucfg::session
