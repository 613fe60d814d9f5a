// The system's package manager, behind one interface (ninja's CommandRunner, again): what is
// installed, what the archive offers, what a change would do, and the change itself. apt and
// dpkg fill it on Debian and Ubuntu (apt.cpp); FakeManager (fake.hpp) in memory for the
// planner's and executor's unit tests; a dnf backend would be a third.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gpucfg::packages {

// One package as dpkg's database has it.
struct Installed {
  std::string version;
  // dpkg's state: installed | half-configured | unpacked | half-installed | config-files |
  // triggers-awaited | triggers-pending | not-installed
  std::string state = "installed";
  bool hold = false; // selection "hold": apt leaves it at this version
  bool present() const { return state != "config-files" && state != "not-installed"; }
  bool healthy() const { return state == "installed"; }
};

// One package's wanted state after a change: a version, or absent (version ""); and its hold.
struct Target {
  std::string name, version;
  std::optional<bool> hold; // nullopt: leave the selection as it is
};

// What a change does to one package, as the package manager answers it (dependencies too).
struct Change {
  std::string name, from, to; // "" from: not installed before; "" to: removed
  bool operator==(const Change& o) const { return name == o.name && from == o.from && to == o.to; }
};

// One line per change, as plans and errors show it: "install gpc-lib 1.0",
// "upgrade gpc-demo 1.0 -> 2.0", "downgrade ...", "reinstall ...", "remove gpc-old 1.0".
std::string describe(const Change& c);

// The machine's package state for a list of names: a name absent from the map is not installed.
using InstalledMap = std::map<std::string, Installed>;

// dpkg's status database (/var/lib/dpkg/status) read into every package it names, with state and
// hold; packages dpkg only remembers (not-installed, no version) are left out.
InstalledMap parse_status(const std::string& text);

class Manager {
public:
  virtual ~Manager() = default;
  virtual std::string name() const = 0; // "apt"
  // Every package dpkg knows is installed (or half so). nullopt with *error when unreadable.
  virtual std::optional<InstalledMap> installed(std::string* error) = 0;
  // The versions the configured archive offers for each name, newest first (a name with none
  // maps to an empty list). nullopt with *error when the archive's lists cannot be read.
  virtual std::optional<std::map<std::string, std::vector<std::string>>>
  available(const std::vector<std::string>& names, std::string* error) = 0;
  // What making `targets` so would change, dependencies included, without changing anything.
  virtual std::optional<std::vector<Change>> simulate(const std::vector<Target>& targets,
                                                      std::string* error) = 0;
  // Makes `targets` so (installs, upgrades, downgrades, removals, then holds). "" when done;
  // else what failed, with the manager's own last words. *log gets its output either way.
  virtual std::string apply(const std::vector<Target>& targets, std::string* log) = 0;
};

} // namespace gpucfg::packages
