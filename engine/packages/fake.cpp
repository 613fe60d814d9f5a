#include "packages/fake.hpp"

#include "packages/version.hpp"

#include <algorithm>
#include <functional>
#include <set>

namespace gpucfg::packages {

const FakeManager::Offer* FakeManager::find(const std::string& name,
                                            const std::string& version) const {
  auto it = archive.find(name);
  if (it == archive.end()) return nullptr;
  const Offer* best = nullptr;
  for (const auto& o : it->second)
    if (version.empty() ? !best || compare_versions(o.version, best->version) > 0
                        : o.version == version)
      best = &o;
  return best;
}

std::optional<InstalledMap> FakeManager::installed(std::string* error) {
  if (!fail_reading.empty()) {
    *error = fail_reading;
    return std::nullopt;
  }
  return now;
}

std::optional<std::map<std::string, std::vector<std::string>>>
FakeManager::available(const std::vector<std::string>& names, std::string* error) {
  if (!fail_reading.empty()) {
    *error = fail_reading;
    return std::nullopt;
  }
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& n : names) {
    auto& list = out[n];
    if (auto it = archive.find(n); it != archive.end())
      for (const auto& o : it->second)
        list.push_back(o.version);
    std::sort(list.begin(), list.end(),
              [](const auto& a, const auto& b) { return compare_versions(a, b) > 0; });
  }
  return out;
}

std::optional<std::vector<Change>> FakeManager::simulate(const std::vector<Target>& targets,
                                                         std::string* error) {
  std::vector<Change> out;
  std::set<std::string> seen;
  // Depth first, dependencies before what needs them, as apt orders its Inst lines.
  std::function<bool(const std::string&, const std::string&)> want =
      [&](const std::string& name, const std::string& version) {
        if (!seen.insert(name).second) return true;
        const Offer* o = find(name, version);
        if (!o) {
          *error = "E: Version '" + version + "' for '" + name + "' was not found";
          return false;
        }
        for (const auto& d : o->depends)
          if (!now.count(d) && !want(d, "")) return false;
        auto it = now.find(name);
        if (it == now.end() || it->second.version != o->version || !it->second.healthy())
          out.push_back({name, it == now.end() ? "" : it->second.version, o->version});
        return true;
      };
  for (const auto& t : targets) {
    if (t.version.empty()) {
      if (auto it = now.find(t.name); it != now.end() && it->second.present())
        out.push_back({t.name, it->second.version, ""});
    } else if (!want(t.name, t.version)) {
      return std::nullopt;
    }
  }
  return out;
}

std::string FakeManager::apply(const std::vector<Target>& targets, std::string* log) {
  if (dead && dead()) return "the process was stopped";
  ++applied;
  std::string error;
  auto changes = simulate(targets, &error);
  if (!changes) return error;
  for (const auto& c : *changes) {
    *log += describe(c) + "\n";
    if (c.to.empty()) {
      now.erase(c.name);
      continue;
    }
    Installed& i = now[c.name];
    i.version = c.to;
    i.state = "installed";
    if (find(c.name, c.to)->fails) {
      i.state = "half-configured";
      return "dpkg: error processing package " + c.name +
             " (--configure): post-installation script returned error exit status 1";
    }
  }
  for (const auto& t : targets)
    if (t.hold && now.count(t.name)) now[t.name].hold = *t.hold;
  return "";
}

} // namespace gpucfg::packages
