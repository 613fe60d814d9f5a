#include "packages/apt.hpp"

#include "disk/fsops.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <filesystem>

namespace gpucfg::packages {

AptManager::AptManager(util::ProcessRunner& runner, std::string root)
    : m_runner(runner), m_root(root == "/" ? "" : std::move(root)) {}

// Under a root every path apt and dpkg use is R's: Dir re-bases apt's own folders (sources,
// lists, cache, logs); the status file is named whole because apt's default for it is absolute;
// dpkg gets --root (its database, the files, the chroot for maintainer scripts). Files from
// R's archive are read as root, not by apt's sandbox user, who may not reach a local repository.
std::vector<std::string> AptManager::command(const std::string& program) const {
  // By its path, never looked up on PATH: as root, a folder on PATH another user can write
  // must not lend them apt's name (ARCHITECTURE.md, "Security model").
  std::vector<std::string> argv{"/usr/bin/" + program};
  if (!m_root.empty())
    for (const auto& o :
         {"Dir=" + m_root, "Dir::State::status=" + m_root + "/var/lib/dpkg/status",
          "DPkg::Options::=--root=" + m_root, std::string("APT::Sandbox::User=root")})
      argv.insert(argv.end(), {"-o", o});
  return argv;
}

util::ProcessResult AptManager::run(std::vector<std::string> argv) const {
  util::ProcessOptions o;
  o.max_output = 4u << 20;
  // No question may wait for a terminal no one watches; a changed configuration file keeps the
  // machine's version (what apt does unattended). dpkg wants the sbin folders on PATH.
  o.env = {"DEBIAN_FRONTEND=noninteractive", "APT_LISTCHANGES_FRONTEND=none",
           "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  return m_runner.run(argv, o);
}

std::optional<InstalledMap> AptManager::installed(std::string* error) {
  std::string file = m_root + "/var/lib/dpkg/status";
  auto text = disk::read_text(file);
  if (!text) {
    *error = "cannot read " + file;
    return std::nullopt;
  }
  return parse_status(*text);
}

std::map<std::string, std::vector<std::string>> parse_madison(const std::string& text) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& line : util::split(text, '\n')) {
    auto cols = util::split(line, '|');
    if (cols.size() != 3 || !util::ends_with(util::trim(cols[2]), "Packages")) continue;
    auto& list = out[util::trim(cols[0])];
    std::string v = util::trim(cols[1]);
    if (std::find(list.begin(), list.end(), v) == list.end()) list.push_back(v);
  }
  return out;
}

std::optional<std::map<std::string, std::vector<std::string>>>
AptManager::available(const std::vector<std::string>& names, std::string* error) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& n : names)
    out[n] = {};
  if (names.empty()) return out;
  auto argv = command("apt-cache");
  argv.push_back("madison");
  argv.insert(argv.end(), names.begin(), names.end());
  auto r = run(argv);
  if (r.exit_code != 0) {
    *error = "apt-cache madison failed: " + last_words(r.output);
    return std::nullopt;
  }
  for (auto& [name, versions] : parse_madison(r.output))
    if (out.count(name)) out[name] = versions; // madison orders them as apt prefers: newest first
  return out;
}

std::vector<Change> parse_simulation(const std::string& text) {
  std::vector<Change> out;
  for (const auto& line : util::split(text, '\n')) {
    bool inst = util::starts_with(line, "Inst "), remv = util::starts_with(line, "Remv ");
    if (!inst && !remv) continue;
    auto words = util::split(line.substr(5), ' ');
    Change c;
    c.name = words.empty() ? "" : words[0];
    std::size_t open = line.find(" ["), paren = line.find(" (");
    if (open != std::string::npos && (paren == std::string::npos || open < paren))
      c.from = line.substr(open + 2, line.find(']', open) - open - 2);
    if (inst && paren != std::string::npos) {
      std::string rest = line.substr(paren + 2);
      c.to = rest.substr(0, rest.find(' '));
    }
    if (!c.name.empty()) out.push_back(c);
  }
  return out;
}

std::string last_words(const std::string& output) {
  // From the line before the first error (a maintainer script's own words come just before
  // dpkg's "error processing package") to the end, without apt's progress and summaries.
  auto lines = util::split(util::trim(output), '\n');
  std::size_t first = lines.size();
  for (std::size_t i = 0; i < lines.size() && first == lines.size(); ++i)
    if (util::starts_with(lines[i], "E: ") || lines[i].find("error") != std::string::npos)
      first = i > 0 && !util::starts_with(lines[i - 1], "Setting up") &&
                      !util::starts_with(lines[i - 1], "Unpacking") &&
                      !util::starts_with(lines[i - 1], "Preparing")
                  ? i - 1
                  : i;
  if (first == lines.size()) first = lines.size() > 3 ? lines.size() - 3 : 0;
  std::vector<std::string> keep;
  for (std::size_t i = first; i < lines.size(); ++i) {
    std::string l = util::trim(lines[i]);
    if (l.empty() || l == "Errors were encountered while processing:" ||
        std::find(keep.begin(), keep.end(), l) != keep.end())
      continue;
    keep.push_back(l);
  }
  if (keep.size() > 8) keep.erase(keep.begin() + 8, keep.end());
  return util::join(keep, "; ");
}

namespace {

// apt-get install's arguments for targets: NAME=VERSION to install, NAME- to remove.
std::vector<std::string> install_arguments(const std::vector<Target>& targets) {
  std::vector<std::string> out{"install", "--no-install-recommends", "--allow-downgrades",
                               // the manifest names the version of a package it holds
                               "--allow-change-held-packages"};
  for (const auto& t : targets)
    out.push_back(t.version.empty() ? t.name + "-" : t.name + "=" + t.version);
  return out;
}

} // namespace

std::optional<std::vector<Change>> AptManager::simulate(const std::vector<Target>& targets,
                                                        std::string* error) {
  auto argv = command("apt-get");
  argv.insert(argv.end(), {"-s", "-q"});
  auto args = install_arguments(targets);
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run(argv);
  if (r.exit_code != 0) {
    *error = "apt-get -s: " + last_words(r.output);
    return std::nullopt;
  }
  return parse_simulation(r.output);
}

std::string AptManager::apply(const std::vector<Target>& targets, std::string* log) {
  // Every target in one apt-get run (a version already there is no change to apt), so apt
  // orders the whole set itself; then the holds.
  if (!targets.empty()) {
    auto argv = command("apt-get");
    argv.insert(argv.end(), {"-y", "-q", "-o", "Dpkg::Options::=--force-confdef", "-o",
                             "Dpkg::Options::=--force-confold"});
    auto args = install_arguments(targets);
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run(argv);
    *log += r.output;
    if (!r.started) return "apt-get could not be run";
    if (r.exit_code != 0)
      return "apt-get failed (exit " + std::to_string(r.exit_code) + "): " + last_words(r.output);
  }
  for (bool hold : {true, false}) {
    std::vector<std::string> names;
    for (const auto& t : targets)
      if (t.hold && *t.hold == hold && !t.version.empty()) names.push_back(t.name);
    if (names.empty()) continue;
    auto argv = command("apt-mark");
    argv.push_back(hold ? "hold" : "unhold");
    argv.insert(argv.end(), names.begin(), names.end());
    auto r = run(argv);
    *log += r.output;
    if (r.exit_code != 0)
      return "apt-mark " + std::string(hold ? "hold" : "unhold") +
             " failed: " + last_words(r.output);
  }
  return "";
}

std::unique_ptr<Manager> system_manager(util::ProcessRunner& runner, const std::string& root,
                                        std::string* why) {
  std::string r = root == "/" ? "" : root;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(r + "/var/lib/dpkg/status", ec)) {
    *why = "no dpkg database at " + r +
           "/var/lib/dpkg/status (packages: is written for apt and dpkg; other package "
           "managers are not yet)";
    return nullptr;
  }
  if (!std::filesystem::exists("/usr/bin/apt-get", ec)) {
    *why = "no /usr/bin/apt-get on this computer";
    return nullptr;
  }
  return std::make_unique<AptManager>(runner, r);
}

} // namespace gpucfg::packages
