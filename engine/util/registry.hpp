// The environment variables Windows keeps in its registry, the ones a new process inherits:
// the machine's (HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Environment) or the
// user's (HKCU\Environment). registry_win32.cpp reads and writes them; registry_posix.cpp says
// there is no registry (a Linux build plans Windows variables from a facts file, never sets them).
#pragma once

#include <optional>
#include <string>

namespace gpucfg::util {

struct RegistryValue {
  std::string value;
  bool expand = false; // REG_EXPAND_SZ (%SystemRoot% inside is expanded by the reader)
};

// scope: "system" or "user". nullopt: the variable is absent, or it could not be read (*error
// then says why and is otherwise left empty).
std::optional<RegistryValue> read_env_var(const std::string& scope, const std::string& name,
                                          std::string* error);
// Writes the variable, or deletes it for nullopt; "" on success, else why.
std::string write_env_var(const std::string& scope, const std::string& name,
                          const std::optional<RegistryValue>& v);
// Whether this build can read and write them (gpucfg.exe).
bool registry_available();
// Tells running programs (Explorer, new consoles) the environment changed: WM_SETTINGCHANGE.
void broadcast_env_change();

// The same four as an interface, for the executor: SystemRegistry is the functions above; tests
// give it one in memory, so a transaction of Windows variables is tested on Linux too.
class Registry {
public:
  virtual ~Registry() = default;
  virtual std::optional<RegistryValue> read(const std::string& scope, const std::string& name,
                                            std::string* error) = 0;
  virtual std::string write(const std::string& scope, const std::string& name,
                            const std::optional<RegistryValue>& v) = 0;
  virtual bool available() const = 0;
  virtual void broadcast() = 0;
};

class SystemRegistry : public Registry {
public:
  std::optional<RegistryValue> read(const std::string& scope, const std::string& name,
                                    std::string* error) override {
    return read_env_var(scope, name, error);
  }
  std::string write(const std::string& scope, const std::string& name,
                    const std::optional<RegistryValue>& v) override {
    return write_env_var(scope, name, v);
  }
  bool available() const override { return registry_available(); }
  void broadcast() override { broadcast_env_change(); }
};

} // namespace gpucfg::util
