#include "plan/render.hpp"

#include <algorithm>

namespace gpucfg::plan {
namespace {

const char* symbol(const std::string& change) {
  if (change == "create") return "+";
  if (change == "update") return "~";
  if (change == "delete") return "-";
  return "!";
}

const char* mark(const std::string& outcome) {
  if (outcome == "pass") return "ok     ";
  if (outcome == "fail") return "FAIL   ";
  if (outcome == "warn") return "warn   ";
  return "unknown";
}

std::string body(const Plan& p, bool explain) {
  std::string out;
  if (!p.checks.empty()) {
    out += "Checks:\n";
    for (const auto& c : p.checks) {
      out += "  " + std::string(mark(c.outcome)) + " " + c.name + ": " + c.detail + "\n";
      if (explain && !c.source.empty()) out += "            source: " + c.source + "\n";
    }
    out += "\n";
  }
  if (!p.actions.empty()) {
    out += "Changes:\n";
    for (const auto& a : p.actions) {
      out +=
          "  " + std::string(symbol(a.change)) + " " + to_string(a.resource) + " " + a.path + "\n";
      out += "      " + a.summary + (a.reason.empty() ? "" : " (" + a.reason + ")") + "\n";
      if (!a.files_from.empty()) {
        out += "      places " + std::to_string(a.files.size()) + " file(s) (" + a.files_from +
               ")" + (a.files.empty() ? "" : ":") + "\n";
        for (const auto& f : a.files)
          out += "        " + f + "\n";
      }
      if (!a.keep_as.empty())
        out += "      edited since gpucfg wrote it: that version is kept first as " + a.keep_as +
               " (not gpucfg's, never removed by it)\n";
      if (explain) {
        if (!a.origin.empty()) out += "      asked for at " + a.origin + "\n";
        for (const auto& d : a.details)
          out += "      " + d + "\n";
      }
    }
    out += "\n";
  }
  for (const auto& w : p.warnings)
    out += "Warning: " + w + "\n";
  for (const auto& e : p.errors)
    out += "Error: " + e + "\n";
  for (const auto& n : p.notes)
    out += n + "\n";
  return out;
}

} // namespace

Counts count(const Plan& p) {
  Counts c;
  for (const auto& a : p.actions) {
    if (a.change == "create")
      ++c.create;
    else if (a.change == "update")
      ++c.update;
    else if (a.change == "delete")
      ++c.remove;
    else
      ++c.run;
  }
  return c;
}

std::string summary_line(const Plan& p) {
  if (p.has_errors())
    return "Plan failed: " + std::to_string(p.errors.size()) + " error(s); nothing will change.";
  if (!p.has_changes()) return "No changes. The machine matches '" + p.manifest + "'.";
  Counts c = count(p);
  return "Plan: " + std::to_string(c.create) + " to add, " + std::to_string(c.update) +
         " to change, " + std::to_string(c.remove) + " to destroy, " + std::to_string(c.run) +
         " to run.";
}

std::string render_text(const Plan& p, bool explain) {
  // Rollback and destroy plans have no manifest: their first note says what they are, once.
  if (p.manifest.empty() && !p.notes.empty()) {
    Plan rest = p;
    rest.notes.erase(rest.notes.begin());
    return "gpucfg: " + p.notes.front() + (p.root != "/" ? " under " + p.root : "") + "\n\n" +
           body(rest, explain) + summary_line(p) + "\n";
  }
  std::string out = "gpucfg plan: " + p.manifest + " for " + p.platform +
                    (p.host.empty() || p.facts_source == "live" ? "" : " on " + p.host) +
                    (p.root != "/" ? " under " + p.root : "") +
                    (p.facts_source != "live" ? " (facts from " + p.facts_source + ")" : "") +
                    "\n\n";
  return out + body(p, explain) + summary_line(p) + "\n";
}

std::string render_markdown(const Plan& p) {
  Counts c = count(p);
  std::vector<std::string> labels;
  if (p.has_errors())
    labels.push_back("plan-failed");
  else if (!p.has_changes())
    labels.push_back("no-changes");
  else
    labels.push_back("changes");
  if (c.remove) labels.push_back("removal");
  // A driver the stack cannot run on (a failed check), not merely a warning such as "no driver
  // on this machine", which a converged plan on a build host also carries.
  bool driver_bad = std::any_of(p.checks.begin(), p.checks.end(), [](const Check& k) {
    return k.name == "driver" && k.outcome == "fail";
  });
  if (driver_bad) labels.push_back("driver-change");
  if (std::any_of(p.actions.begin(), p.actions.end(),
                  [](const Action& a) { return a.resource == Resource::toolkit; }))
    labels.push_back("toolkit-change");
  std::string lab;
  for (const auto& l : labels)
    lab += (lab.empty() ? "" : " ") + std::string("`") + l + "`";
  // Which machine: a comment with several plans (or one from a facts file) must say.
  std::string machine = (p.host.empty() ? "" : " for `" + p.host + "`") +
                        (p.facts_source != "live" && !p.facts_source.empty()
                             ? " (facts from `" + p.facts_source + "`)"
                             : "");
  std::string out = "**gpucfg plan** `" + p.manifest + "` on `" + p.platform + "`" + machine +
                    ": " + summary_line(p) + "\n\n";
  out += "Labels: " + lab + "\n\n";
  out +=
      "<details><summary>Full plan</summary>\n\n```text\n" + body(p, true) + "```\n\n</details>\n";
  return out;
}

} // namespace gpucfg::plan
