// apt and dpkg as the Manager of a Debian or Ubuntu machine, or of the Debian tree under a root
// (`--root R`: apt reads R's sources, lists and status, dpkg installs under R and runs the
// maintainer scripts chrooted into R, as debootstrap's second stage does). gpucfg never unpacks
// a .deb itself: the distribution's tools do, with their scripts, triggers and DKMS hooks.
#pragma once

#include "packages/manager.hpp"
#include "util/process.hpp"

#include <memory>

namespace gpucfg::packages {

class AptManager : public Manager {
public:
  // `root`: "" for this computer's /, else the folder apt and dpkg work in.
  AptManager(util::ProcessRunner& runner, std::string root);
  std::string name() const override { return "apt"; }
  std::optional<InstalledMap> installed(std::string* error) override;
  std::optional<std::map<std::string, std::vector<std::string>>>
  available(const std::vector<std::string>& names, std::string* error) override;
  std::optional<std::vector<Change>> simulate(const std::vector<Target>& targets,
                                              std::string* error) override;
  std::string apply(const std::vector<Target>& targets, std::string* log) override;

private:
  std::vector<std::string> command(const std::string& program) const;
  util::ProcessResult run(std::vector<std::string> argv) const;

  util::ProcessRunner& m_runner;
  std::string m_root;
};

// apt's answers, read (pure, tested on captured output).
// `apt-cache madison` lines: name -> versions, newest first, binary packages only.
std::map<std::string, std::vector<std::string>> parse_madison(const std::string& text);
// `apt-get -s` lines "Inst NAME [OLD] (NEW ...)" and "Remv NAME [OLD]".
std::vector<Change> parse_simulation(const std::string& text);
// The lines of apt's output that say what went wrong (E:, dpkg: error, a script's own words).
std::string last_words(const std::string& output);

// The Manager for the machine under `root` ("" or "/": this computer), or nullptr with *why
// when it has none gpucfg can drive (no dpkg database there; no apt-get here).
std::unique_ptr<Manager> system_manager(util::ProcessRunner& runner, const std::string& root,
                                        std::string* why);

} // namespace gpucfg::packages
