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

// The lines that edit list variable `v` in a POSIX shell (sh, dash, bash, zsh): each of its
// entries taken out first (remove:, and the entries prepended or appended, so that a second run
// does not add them again), then prepended and appended, a separator only where the old value
// is not empty.
std::string sh_list_edit(const manifest::EnvVar& v) {
  std::string body;
  std::vector<const manifest::Located<std::string>*> out;
  for (const auto* l : {&v.remove, &v.prepend, &v.append})
    for (const auto& e : *l)
      out.push_back(&e);
  for (const auto* e : out)
    body += v.name + "=$(_gpucfg_remove \"${" + v.name + "-}\" " + sh_quote(e->value) + ")\n";
  std::string pre = util::join(values(v.prepend), ":"), app = util::join(values(v.append), ":");
  if (pre.empty() && app.empty()) {
    // Only removals: an emptied variable is unset rather than left empty (an empty PATH-like
    // value means the current folder to some programs).
    if (!out.empty()) body += "[ -n \"${" + v.name + "-}\" ] || unset " + v.name + "\n";
    return body;
  }
  // pre, then ":old" where old is not empty, then ":app" (or "old:" before app alone).
  std::string old = "${" + v.name + "}", expr;
  if (pre.empty())
    expr = "\"${" + v.name + ":+" + old + ":}\"" + sh_quote(app);
  else
    expr = sh_quote(pre) + "\"${" + v.name + ":+:" + old + "}\"" +
           (app.empty() ? "" : sh_quote(":" + app));
  return body + "export " + v.name + "=" + expr + "\n";
}

// _gpucfg_remove LIST ENTRY: LIST without ENTRY, by parameter expansion alone: no word
// splitting (zsh does none by default) and no globbing, so it works alike in every POSIX shell.
const char* const k_sh_remove =
    "# _gpucfg_remove LIST ENTRY: LIST without ENTRY (colon-separated).\n"
    "_gpucfg_remove() (\n"
    "  r=; rest=\"$1:\"\n"
    "  while [ -n \"$rest\" ]; do\n"
    "    e=\"${rest%%:*}\"; rest=\"${rest#*:}\"\n"
    "    [ \"$e\" = \"$2\" ] || r=\"${r:+$r:}$e\"\n"
    "  done\n"
    "  printf '%s' \"$r\"\n"
    ")\n";

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
    std::string edit = sh_list_edit(v);
    needs_remove = needs_remove || !edit.empty();
    body += edit;
  }
  if (body.empty()) return {};
  std::string fn = needs_remove ? k_sh_remove : "";
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
      // systemd refuses "NAME=" (and "NAME=\"\""): an empty value is written as the expansion of
      // a variable nothing sets.
      body += v.name + "=" +
              (v.set->value.empty() ? "${_GPUCFG_NEVER_SET}" : envd_escape(v.set->value)) + "\n";
      continue;
    }
    if (!v.remove.empty()) body += "# " + v.name + ": remove is not expressible in environment.d\n";
    std::vector<std::string> pre, app;
    for (const auto& p : v.prepend)
      pre.push_back(envd_escape(p.value));
    for (const auto& p : v.append)
      app.push_back(envd_escape(p.value));
    if (pre.empty() && app.empty()) continue;
    std::vector<std::string> ours = pre;
    ours.insert(ours.end(), app.begin(), app.end());
    if (v.name != "PATH") {
      // systemd (252, checked against its generator in the tests) takes ${X:+...} as "X is set",
      // not "X is not empty": joined to an old value that is set but empty, the result would end
      // in an empty entry, which for LD_LIBRARY_PATH means the current folder. So the old value
      // is not joined; a later file (95-mine.conf) can add it.
      body += "# " + v.name +
              ": the manifest's entries only (an empty old value would add the current folder)\n";
      body += v.name + "=" + util::join(ours, ":") + "\n";
      continue;
    }
    // PATH: the user manager always sets it, and never empty; joined only when set.
    std::string old = "${PATH}";
    std::string value = pre.empty() ? "${PATH:+" + old + ":}" + util::join(app, ":")
                                    : util::join(pre, ":") + "${PATH:+:" + old + "}";
    if (!pre.empty() && !app.empty()) value += ":" + util::join(app, ":");
    body += "PATH=" + value + "\n";
  }
  return body.empty() ? std::string() : header(name, "#") + body;
}

std::string render_activation(const std::vector<manifest::EnvVar>& vars, const std::string& shell) {
  std::string out;
  bool fish = shell == "fish", needs_remove = false;
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
      // Each entry out first (fish splits PATH-like variables into lists), then added: a second
      // `gpucfg env | source` leaves the variable as the first did.
      // An unset variable stays unset, and one emptied is unset (fish would export an empty list
      // as an empty value: the current folder, to a PATH-like variable).
      for (const auto* l : {&v.remove, &v.prepend, &v.append})
        for (const auto& e : *l)
          out += "set -q " + v.name + "; and set -gx " + v.name + " (string match -v -- " +
                 fq(e.value) + " $" + v.name + ")\n";
      if (v.prepend.empty() && v.append.empty() && !v.remove.empty())
        out += "set -q " + v.name + "[1]; or set -e " + v.name + "\n";
      std::string line = "set -gx " + v.name;
      for (const auto& p : v.prepend)
        line += " " + fq(p.value);
      line += " (string match -v -- '' $" + v.name + ")"; // an empty entry is the current folder
      for (const auto& p : v.append)
        line += " " + fq(p.value);
      if (!v.prepend.empty() || !v.append.empty()) out += line + "\n";
    } else {
      std::string edit = sh_list_edit(v);
      needs_remove = needs_remove || !edit.empty();
      out += edit;
    }
  }
  if (needs_remove) out = k_sh_remove + out + "unset -f _gpucfg_remove\n";
  return out;
}

} // namespace gpucfg::plan
