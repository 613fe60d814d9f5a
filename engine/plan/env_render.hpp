// Turning a Stack's `env` into the files that persist it, and into activation lines for a shell.
// Pure. Every value is written so that nothing in it can execute or expand: single-quoted for
// sh ('…' with ' as '\''), escaped for systemd's environment.d, quoted for fish.
#pragma once

#include "manifest/model.hpp"

#include <string>
#include <vector>

namespace gpucfg::plan {

// Where each scope's files live on Linux (machine paths; `home` for the user scope).
struct EnvFiles {
  std::string profile;     // sourced by login shells: /etc/profile.d/gpucfg.sh
  std::string environment; // read by systemd (user managers): /etc/environment.d/90-gpucfg.conf
};
EnvFiles env_files(const std::string& scope, const std::string& home);

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
