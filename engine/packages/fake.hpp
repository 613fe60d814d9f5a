// A package manager in memory for the planner's and executor's unit tests: an archive of
// versions (each with the packages it depends on, and whether its maintainer script fails) and
// an installed set, changed as apt would change it.
#pragma once

#include "packages/manager.hpp"

#include <functional>

namespace gpucfg::packages {

class FakeManager : public Manager {
public:
  struct Offer {
    std::string version;
    std::vector<std::string> depends; // names; the newest version of each is installed
    bool fails = false;               // its configure step fails (half-configured, as dpkg)
  };
  std::map<std::string, std::vector<Offer>> archive; // name -> offers, any order
  InstalledMap now;
  int applied = 0; // apply calls, for tests that count them
  std::string fail_reading;
  std::function<bool()> dead; // true: the process was killed; apply changes nothing

  std::string name() const override { return "fake"; }
  std::optional<InstalledMap> installed(std::string* error) override;
  std::optional<std::map<std::string, std::vector<std::string>>>
  available(const std::vector<std::string>& names, std::string* error) override;
  std::optional<std::vector<Change>> simulate(const std::vector<Target>& targets,
                                              std::string* error) override;
  std::string apply(const std::vector<Target>& targets, std::string* log) override;

private:
  const Offer* find(const std::string& name, const std::string& version) const;
};

} // namespace gpucfg::packages
