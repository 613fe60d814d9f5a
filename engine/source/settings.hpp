// Machine-wide source settings: one switch that points every manifest at a team's mirror.
//
//   GPUCFG_MIRROR="/srv/mirror https://mirror.example/gpucfg"   (spaces or commas between)
//   /etc/gpucfg/config.yaml:   mirrors: [/srv/mirror, https://mirror.example/gpucfg]
//
// The variable wins over the file ($GPUCFG_CONFIG names another file, for tests and users
// without root). Each mirror is tried before every location a manifest names, for archives,
// redistrib indexes and their archives, and wheels (as pip --find-links). A mirror holds files
// by name at its top (redistrib archives under their index's relative_path), which is how
// `gpucfg fetch --mirror DIR` lays one out.
#pragma once

#include "util/diagnostic.hpp"

#include <string>
#include <vector>

namespace gpucfg::source {

struct Settings {
  std::vector<std::string> mirrors;
  std::string origin; // where they came from, for messages: "GPUCFG_MIRROR", a file, or ""
};

// Where the machine-wide settings are read from unless GPUCFG_CONFIG names a file.
std::string default_config_path();
// Reads the settings; a malformed config file is an error in `diags` (file:line:col).
Settings load_settings(util::SourceSet& sources, util::Diagnostics& diags);

} // namespace gpucfg::source
