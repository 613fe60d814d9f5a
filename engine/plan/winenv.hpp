// Windows environment variables as apply changes them: one edit per manifest `env:` entry (set,
// unset, or entries prepended, appended or removed in a ';' list such as PATH), kept in a plan
// action's content as JSON so a saved plan applies exactly what it showed. Pure: reading and
// writing the registry is util/registry's.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace gpucfg::plan {

struct EnvEdit {
  std::string name;
  std::string scope = "system"; // system: the machine's variables; user: the invoking user's
  std::optional<std::string> set;
  bool unset = false;
  std::vector<std::string> prepend, append, remove;
};

std::string to_content(const EnvEdit& e);
// nullopt when `content` is not an edit this build writes.
std::optional<EnvEdit> env_edit_from(const std::string& content);

// The value after the edit (nullopt: the variable is absent). List entries compare as Windows
// compares paths (case-insensitive, a trailing '\' ignored); one already there is not added
// again, so applying an edit twice changes nothing the second time.
std::optional<std::string> edited(const std::optional<std::string>& current, const EnvEdit& e);

} // namespace gpucfg::plan
