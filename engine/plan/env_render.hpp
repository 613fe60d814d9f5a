// Turning a Stack's `env` into the files that persist it, and into activation lines for a shell.
// Pure. Every value is written so that nothing in it can execute or expand: single-quoted for
// sh ('…' with ' as '\''), escaped for systemd's environment.d, quoted for fish.
#pragma once

#include "manifest/model.hpp"

#include <string>
#include <vector>

namespace gpucfg::plan {

// Where one manifest's files for a scope live on Linux (machine paths; `home` for the user
// scope). A file per manifest, so stacks side by side never overwrite each other's variables;
// login shells and systemd read them in name order. The user scope's shell script is sourced by
// a hook in /etc/profile.d (`hook`), for whichever user has the file, since nothing reads
// ~/.config by itself.
struct EnvFiles {
  std::string profile;     // /etc/profile.d/gpucfg-NAME.sh; user: ~/.config/gpucfg/env-NAME.sh
  std::string environment; // /etc/environment.d/90-gpucfg-NAME.conf (user: ~/.config/…)
  std::string hook;        // user scope: /etc/profile.d/gpucfg-NAME-user.sh
};
EnvFiles env_files(const std::string& scope, const std::string& home, const std::string& name);
// The hook's content: sources the user's own file when it exists.
std::string render_user_hook(const std::string& user_profile, const std::string& home,
                             const std::string& name);
// How many of `vars` belong to `scope`.
std::size_t count_scope(const std::vector<manifest::EnvVar>& vars, const std::string& scope);

// The content of the profile.d script / environment.d file for the variables of one scope;
// empty when the scope has no variables.
std::string render_profile(const std::vector<manifest::EnvVar>& vars, const std::string& scope,
                           const std::string& manifest_name);
std::string render_environment_d(const std::vector<manifest::EnvVar>& vars,
                                 const std::string& scope, const std::string& manifest_name);

// `gpucfg env --shell bash|zsh|fish`: lines to paste or eval in the current shell.
std::string render_activation(const std::vector<manifest::EnvVar>& vars, const std::string& shell);

// sh single-quoting: abc -> 'abc', it's -> 'it'\''s'.
std::string sh_quote(const std::string& s);

} // namespace gpucfg::plan
