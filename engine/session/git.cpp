#include "session/git.hpp"

#include "source/archive.hpp"
#include "util/os.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace gpucfg::session {

int git(const std::vector<std::string>& args, std::string* out) {
  std::vector<std::string> argv{"git"};
  argv.insert(argv.end(), args.begin(), args.end());
  util::ProcessOptions o;
  o.search_path = true;
  o.err = util::Output::discard;
  o.max_output = std::string().max_size(); // `git archive` writes a whole tree
  auto r = util::run_process(argv, o);
  if (out) *out = std::move(r.output);
  return r.exit_code;
}

ScratchDir::ScratchDir(const std::string& prefix) {
  m_path = util::make_temp_dir(prefix);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  if (!m_path.empty()) fs::remove_all(m_path, ec);
}

std::string git_top() {
  std::string out;
  if (git({"rev-parse", "--show-toplevel"}, &out) != 0) return "";
  return util::trim(out);
}

std::string git_export(const std::string& rev, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::string tar = dir + ".tar";
  std::string data;
  if (git({"archive", "--format=tar", rev}, &data) != 0)
    return "git archive " + rev + " failed (not inside a git repository, or no such revision)";
  {
    std::ofstream f(tar, std::ios::binary);
    f << data;
  }
  source::ExtractOptions o;
  o.layout = source::Layout::plain;
  auto r = source::extract(tar, dir, o);
  fs::remove(tar, ec);
  return r.error;
}

} // namespace gpucfg::session
