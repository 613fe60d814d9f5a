#include "util/registry.hpp"

#include <filesystem>
#include <vector>
#include <windows.h>

namespace gpucfg::util {

namespace {

std::wstring wide(const std::string& s) {
  return std::filesystem::u8path(s).wstring();
}

std::string narrow(const std::wstring& s) {
  return std::filesystem::path(s).u8string();
}

std::string error_text(LSTATUS code) {
  wchar_t* text = nullptr;
  FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM |
                     FORMAT_MESSAGE_IGNORE_INSERTS,
                 nullptr, static_cast<DWORD>(code), 0, reinterpret_cast<LPWSTR>(&text), 0, nullptr);
  std::string out = text ? narrow(text) : "error " + std::to_string(code);
  if (text) LocalFree(text);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
    out.pop_back();
  return out;
}

struct Key {
  HKEY root;
  const wchar_t* path;
};

Key key_for(const std::string& scope) {
  if (scope == "user") return {HKEY_CURRENT_USER, L"Environment"};
  return {HKEY_LOCAL_MACHINE, L"SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment"};
}

} // namespace

std::optional<RegistryValue> read_env_var(const std::string& scope, const std::string& name,
                                          std::string* error) {
  Key k = key_for(scope);
  std::wstring n = wide(name);
  DWORD type = 0, bytes = 0;
  DWORD flags = RRF_RT_REG_SZ | RRF_RT_REG_EXPAND_SZ | RRF_NOEXPAND;
  LSTATUS rc = RegGetValueW(k.root, k.path, n.c_str(), flags, &type, nullptr, &bytes);
  if (rc == ERROR_FILE_NOT_FOUND) return std::nullopt;
  std::vector<wchar_t> buf(bytes / sizeof(wchar_t) + 1);
  if (rc == ERROR_SUCCESS)
    rc = RegGetValueW(k.root, k.path, n.c_str(), flags, &type, buf.data(), &bytes);
  if (rc == ERROR_FILE_NOT_FOUND) return std::nullopt;
  if (rc != ERROR_SUCCESS) {
    *error = "reading " + name + " (" + scope + "): " + error_text(rc);
    return std::nullopt;
  }
  return RegistryValue{narrow(buf.data()), type == REG_EXPAND_SZ};
}

std::string write_env_var(const std::string& scope, const std::string& name,
                          const std::optional<RegistryValue>& v) {
  Key k = key_for(scope);
  HKEY h = nullptr;
  LSTATUS rc = RegCreateKeyExW(k.root, k.path, 0, nullptr, 0, KEY_SET_VALUE, nullptr, &h, nullptr);
  if (rc != ERROR_SUCCESS) return "opening the " + scope + " environment: " + error_text(rc);
  std::wstring n = wide(name);
  if (!v) {
    rc = RegDeleteValueW(h, n.c_str());
    if (rc == ERROR_FILE_NOT_FOUND) rc = ERROR_SUCCESS;
  } else {
    std::wstring data = wide(v->value);
    rc = RegSetValueExW(h, n.c_str(), 0, v->expand ? REG_EXPAND_SZ : REG_SZ,
                        reinterpret_cast<const BYTE*>(data.c_str()),
                        static_cast<DWORD>((data.size() + 1) * sizeof(wchar_t)));
  }
  RegFlushKey(h);
  RegCloseKey(h);
  return rc == ERROR_SUCCESS ? "" : "setting " + name + " (" + scope + "): " + error_text(rc);
}

bool registry_available() {
  return true;
}

void broadcast_env_change() {
  DWORD_PTR result = 0;
  SendMessageTimeoutW(HWND_BROADCAST, WM_SETTINGCHANGE, 0, reinterpret_cast<LPARAM>(L"Environment"),
                      SMTO_ABORTIFHUNG, 5000, &result);
}

} // namespace gpucfg::util
