// The manifest diff for people: per platform, grouped by what a reviewer weighs (versions first,
// then where the bytes come from, then files, environment, loader, environment wheels, the
// requirements and the verify level), one line per difference.
#include "session/diff.hpp"

#include <algorithm>

namespace gpucfg::session {
namespace {

const char* const kSections[] = {"versions", "sources", "files", "env",   "loader", "python",
                                 "requires", "verify",  "cuda",  "cudnn", "other"};

// A JSON value as a reviewer reads it: strings without quotes, long ones cut.
std::string shown(const std::string& json) {
  std::string s = json.size() >= 2 && json.front() == '"' && json.back() == '"'
                      ? json.substr(1, json.size() - 2)
                      : json;
  return s.size() > 120 ? s.substr(0, 117) + "..." : s;
}

std::string line(const Difference& d) {
  if (d.change == "added") return "+ " + d.path + ": " + shown(d.after);
  if (d.change == "removed") return "- " + d.path + ": " + shown(d.before);
  return "~ " + d.path + ": " + shown(d.before) + " -> " + shown(d.after);
}

std::string support_note(const PlatformDiff& p) {
  if (p.old_supports && !p.new_supports) return "no longer declared by the new manifest";
  if (!p.old_supports && p.new_supports) return "newly declared by the new manifest";
  return "";
}

std::size_t count(const ManifestDiff& d) {
  std::size_t n = 0;
  for (const auto& p : d.platforms)
    n += p.differences.size();
  return n;
}

} // namespace

std::string render_diff_text(const ManifestDiff& d) {
  std::string out = "gpucfg diff: " + d.old_name + " -> " + d.new_name + "\n";
  for (const auto& p : d.platforms) {
    out += "\n" + p.platform + ":";
    if (auto n = support_note(p); !n.empty()) {
      out += " " + n + "\n";
      continue;
    }
    if (p.differences.empty()) {
      out += " no differences\n";
      continue;
    }
    out += "\n";
    for (const char* section : kSections) {
      bool head = false;
      for (const auto& x : p.differences) {
        if (x.section != section) continue;
        if (!head) out += "  " + std::string(section) + ":\n";
        head = true;
        out += "    " + line(x) + "\n";
      }
    }
  }
  return out + "\n" + std::to_string(count(d)) + " difference(s) over " +
         std::to_string(d.platforms.size()) + " platform(s).\n";
}

std::string render_diff_markdown(const ManifestDiff& d) {
  std::string out = "**gpucfg diff** `" + d.old_name + "` -> `" + d.new_name +
                    "`: " + std::to_string(count(d)) + " difference(s) over " +
                    std::to_string(d.platforms.size()) + " platform(s)\n\n";
  for (const auto& p : d.platforms) {
    out += "- `" + p.platform + "`: ";
    if (auto n = support_note(p); !n.empty())
      out += n + "\n";
    else if (p.differences.empty())
      out += "no differences\n";
    else
      out += std::to_string(p.differences.size()) + " difference(s)\n";
  }
  for (const auto& p : d.platforms) {
    if (p.differences.empty()) continue;
    out += "\n<details><summary><code>" + p.platform + "</code></summary>\n\n```diff\n";
    for (const char* section : kSections)
      for (const auto& x : p.differences)
        if (x.section == section) out += line(x) + "\n";
    out += "```\n\n</details>\n";
  }
  return out;
}

nlohmann::json diff_json(const ManifestDiff& d) {
  nlohmann::json platforms = nlohmann::json::array();
  for (const auto& p : d.platforms) {
    nlohmann::json diffs = nlohmann::json::array();
    for (const auto& x : p.differences) {
      nlohmann::json j = {{"section", x.section}, {"path", x.path}, {"change", x.change}};
      if (!x.before.empty()) j["before"] = nlohmann::json::parse(x.before);
      if (!x.after.empty()) j["after"] = nlohmann::json::parse(x.after);
      diffs.push_back(std::move(j));
    }
    platforms.push_back({{"platform", p.platform},
                         {"old_supports", p.old_supports},
                         {"new_supports", p.new_supports},
                         {"differences", diffs}});
  }
  return {
      {"format_version", 1}, {"old", d.old_name}, {"new", d.new_name}, {"platforms", platforms}};
}

} // namespace gpucfg::session
