#include "plan/env_render.hpp"

#include "util/strings.hpp"

namespace gpucfg::plan {

std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

EnvFiles env_files(const std::string& scope, const std::string& home, const std::string& name) {
  if (scope == "user")
    return {home + "/.config/gpucfg/env-" + name + ".sh",
            home + "/.config/environment.d/90-gpucfg-" + name + ".conf",
            "/etc/profile.d/gpucfg-" + name + "-user.sh"};
  return {"/etc/profile.d/gpucfg-" + name + ".sh", "/etc/environment.d/90-gpucfg-" + name + ".conf",
          ""};
}

std::string render_user_hook(const std::string& user_profile, const std::string& home,
                             const std::string& name) {
  // The file's path relative to the home it was written in, so each user gets their own.
  std::string rel = util::starts_with(user_profile, home + "/")
                        ? user_profile.substr(home.size() + 1)
                        : ".config/gpucfg/env-" + name + ".sh";
  return "# shellcheck shell=sh\n# Managed by gpucfg for '" + name +
         "': the user-scope variables, for each user who has the file.\n"
         "if [ -n \"${HOME-}\" ] && [ -r \"$HOME/" +
         rel + "\" ]; then . \"$HOME/" + rel + "\"; fi\n";
}

std::size_t count_scope(const std::vector<manifest::EnvVar>& vars, const std::string& scope) {
  std::size_t n = 0;
  for (const auto& v : vars)
    n += v.scope == scope;
  return n;
}

namespace {

std::vector<std::string> values(const std::vector<manifest::Located<std::string>>& l) {
  std::vector<std::string> out;
  for (const auto& v : l)
    out.push_back(v.value);
  return out;
}

std::string header(const std::string& name, const char* comment) {
  return std::string(comment) + " Managed by gpucfg for '" + name +
         "'. The next `gpucfg apply` rewrites this file;\n" + comment +
         " edit the manifest instead.\n";
}

// environment.d: backslash escapes $ and \ so nothing expands; newlines cannot be expressed.
// environment.d (systemd's generator, checked against it in the tests): a backslash escapes
// \\, quotes and blanks, but not '$', which is written '$$'; '$' alone starts an expansion.
std::string envd_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '$')
      out += '$';
    else if (c == '\\' || c == '"' || c == '\'' || c == ' ')
      out += '\\';
    out += c;
  }
  return out;
}

} // namespace

std::string render_profile(const std::vector<manifest::EnvVar>& vars, const std::string& scope,
                           const std::string& name) {
  std::string body;
  bool needs_remove = false;
  for (const auto& v : vars) {
    if (v.scope != scope) continue;
    if (v.unset) {
      body += "unset " + v.name + "\n";
      continue;
    }
    if (v.set) {
      body += "export " + v.name + "=" + sh_quote(v.set->value) + "\n";
      continue;
    }
    for (const auto& r : v.remove) {
      needs_remove = true;
      body += v.name + "=$(_gpucfg_remove \"${" + v.name + "-}\" " + sh_quote(r.value) + ")\n";
    }
    std::string pre = util::join(values(v.prepend), ":"), app = util::join(values(v.append), ":");
    if (!pre.empty() || !app.empty()) {
      // Each entry once: a second login shell must not grow PATH again.
      for (const auto& e : v.prepend) {
        needs_remove = true;
        body += v.name + "=$(_gpucfg_remove \"${" + v.name + "-}\" " + sh_quote(e.value) + ")\n";
      }
      for (const auto& e : v.append) {
        needs_remove = true;
        body += v.name + "=$(_gpucfg_remove \"${" + v.name + "-}\" " + sh_quote(e.value) + ")\n";
      }
      std::string expr;
      if (!pre.empty()) expr += sh_quote(pre) + "\"${" + v.name + ":+:}\"";
      expr += "\"${" + v.name + "-}\"";
      if (!app.empty()) expr += "\"${" + v.name + ":+:}\"" + sh_quote(app);
      body += "export " + v.name + "=" + expr + "\n";
    }
  }
  if (body.empty()) return {};
  std::string fn;
  if (needs_remove)
    fn = "# _gpucfg_remove LIST ENTRY: LIST without ENTRY (colon-separated), no globbing.\n"
         "_gpucfg_remove() (\n  set -f; r=; IFS=:\n  for e in $1; do [ \"$e\" = \"$2\" ] || "
         "r=\"${r:+$r:}$e\"; done\n"
         "  printf '%s' \"$r\"\n)\n";
  return "# shellcheck shell=sh\n" + header(name, "#") + fn + body +
         (needs_remove ? "unset -f _gpucfg_remove\n" : "");
}

std::string render_environment_d(const std::vector<manifest::EnvVar>& vars,
                                 const std::string& scope, const std::string& name) {
  std::string body;
  for (const auto& v : vars) {
    if (v.scope != scope) continue;
    if (v.unset) {
      body +=
          "# " + v.name + ": unset is not expressible in environment.d; login shells unset it\n";
      continue;
    }
    if (v.set) {
      body += v.name + "=" + envd_escape(v.set->value) + "\n";
      continue;
    }
    if (!v.remove.empty()) body += "# " + v.name + ": remove is not expressible in environment.d\n";
    // The old value joins only when it is set: "A:${X}" with X unset ends in an empty entry,
    // which for LD_LIBRARY_PATH or PATH means the current directory (a hijack). systemd's
    // ${X:+...} expands to nothing when X is unset or empty.
    std::vector<std::string> pre, app;
    for (const auto& p : v.prepend)
      pre.push_back(envd_escape(p.value));
    for (const auto& p : v.append)
      app.push_back(envd_escape(p.value));
    if (pre.empty() && app.empty()) continue;
    std::string old = "${" + v.name + "}";
    std::string value = pre.empty() ? "${" + v.name + ":+" + old + (app.empty() ? "" : ":") + "}"
                                    : util::join(pre, ":") + "${" + v.name + ":+:" + old + "}";
    if (!app.empty()) value += (pre.empty() ? "" : ":") + util::join(app, ":");
    body += v.name + "=" + value + "\n";
  }
  return body.empty() ? std::string() : header(name, "#") + body;
}

std::string render_activation(const std::vector<manifest::EnvVar>& vars, const std::string& shell) {
  std::string out;
  bool fish = shell == "fish";
  auto fq = [](const std::string& s) { // fish: single quotes, escape \ and '
    std::string o = "'";
    for (char c : s)
      o += (c == '\\' || c == '\'') ? std::string("\\") + c : std::string(1, c);
    return o + "'";
  };
  for (const auto& v : vars) {
    if (v.unset) {
      out += fish ? "set -e " + v.name + "\n" : "unset " + v.name + "\n";
    } else if (v.set) {
      out += fish ? "set -gx " + v.name + " " + fq(v.set->value) + "\n"
                  : "export " + v.name + "=" + sh_quote(v.set->value) + "\n";
    } else if (fish) {
      std::string line = "set -gx " + v.name;
      for (const auto& p : v.prepend)
        line += " " + fq(p.value);
      line += " $" + v.name;
      for (const auto& p : v.append)
        line += " " + fq(p.value);
      if (!v.prepend.empty() || !v.append.empty()) out += line + "\n";
      for (const auto& r : v.remove)
        out += "set -gx " + v.name + " (string match -v -- " + fq(r.value) + " $" + v.name + ")\n";
    } else {
      std::vector<std::string> pre = values(v.prepend), app = values(v.append);
      std::string expr;
      if (!pre.empty()) expr += sh_quote(util::join(pre, ":")) + "\"${" + v.name + ":+:}\"";
      expr += "\"${" + v.name + "-}\"";
      if (!app.empty()) expr += "\"${" + v.name + ":+:}\"" + sh_quote(util::join(app, ":"));
      if (!pre.empty() || !app.empty()) out += "export " + v.name + "=" + expr + "\n";
    }
  }
  return out;
}

} // namespace gpucfg::plan
