// The few git questions review and diff ask, by running git (the user's, with their config).
#pragma once

#include <string>
#include <vector>

namespace gpucfg::session {

// Runs `git ARGS...` in the current folder; its exit status (-1 when it could not run) and its
// standard output in *out. Standard error is discarded.
int git(const std::vector<std::string>& args, std::string* out);

// The repository's top folder, "" outside one.
std::string git_top();

// A temporary folder, removed with everything in it when this goes out of scope.
class ScratchDir {
public:
  explicit ScratchDir(const std::string& prefix); // "gpucfg-diff" -> /tmp/gpucfg-diff-XXXXXX
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  bool ok() const { return !m_path.empty(); }
  const std::string& path() const { return m_path; }

private:
  std::string m_path;
};

// REV's whole tree exported (`git archive`) into `dir`; "" or what went wrong.
std::string git_export(const std::string& rev, const std::string& dir);

} // namespace gpucfg::session
