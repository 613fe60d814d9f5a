#include "util/process.hpp"

#include <algorithm>
#include <cwchar>
#include <filesystem>
#include <thread>
#include <windows.h>

namespace gpucfg::util {
namespace {

// One argument quoted so that the C runtime's parser (CommandLineToArgvW's rules) gives it back
// unchanged: backslashes are literal except before a quote, where they double.
std::wstring quote(const std::wstring& arg) {
  if (!arg.empty() && arg.find_first_of(L" \t\n\v\"") == std::wstring::npos) return arg;
  std::wstring out = L"\"";
  std::size_t slashes = 0;
  for (wchar_t c : arg) {
    if (c == L'\\') {
      ++slashes;
      continue;
    }
    out.append(c == L'"' ? slashes * 2 + 1 : slashes, L'\\');
    slashes = 0;
    out += c;
  }
  out.append(slashes * 2, L'\\');
  return out + L"\"";
}

HANDLE null_device(bool write) {
  SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, TRUE};
  return CreateFileW(L"NUL", write ? GENERIC_WRITE : GENERIC_READ,
                     FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, OPEN_EXISTING, 0, nullptr);
}

HANDLE inheritable(HANDLE h) {
  HANDLE dup = INVALID_HANDLE_VALUE;
  DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &dup, 0, TRUE,
                  DUPLICATE_SAME_ACCESS);
  return dup;
}

// gpucfg's own environment with `overrides` in place, as CreateProcessW takes it: "NAME=value"
// strings, each ended by a NUL, the block by another.
std::wstring environment_block(const std::vector<std::string>& overrides) {
  std::vector<std::string> vars;
  if (wchar_t* env = GetEnvironmentStringsW()) {
    for (const wchar_t* e = env; *e; e += std::wcslen(e) + 1)
      if (*e != L'=') // "=C:=C:\dir": cmd's per-drive folders, not variables
        vars.push_back(std::filesystem::path(e).u8string());
    FreeEnvironmentStringsW(env);
  }
  std::wstring block;
  for (const auto& kv : with_overrides(std::move(vars), overrides))
    block += std::filesystem::u8path(kv).wstring() + L'\0';
  return block + L'\0';
}

} // namespace

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& o) {
  ProcessResult r;
  if (argv.empty()) return r;
  std::wstring line;
  for (const auto& a : argv)
    line += (line.empty() ? L"" : L" ") + quote(std::filesystem::u8path(a).wstring());

  SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, TRUE};
  HANDLE read_end = INVALID_HANDLE_VALUE, write_end = INVALID_HANDLE_VALUE;
  bool capture = o.out == Output::capture || o.err == Output::capture;
  if (capture) {
    if (!CreatePipe(&read_end, &write_end, &sa, 0)) return r;
    SetHandleInformation(read_end, HANDLE_FLAG_INHERIT, 0); // only the child's end is inherited
  }
  auto handle_for = [&](Output where) {
    if (where == Output::capture) return write_end;
    if (where == Output::to_stderr) return inheritable(GetStdHandle(STD_ERROR_HANDLE));
    return null_device(true);
  };
  STARTUPINFOW si{};
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = null_device(false);
  si.hStdOutput = handle_for(o.out);
  si.hStdError = handle_for(o.err);
  PROCESS_INFORMATION pi{};
  // Without search_path the program is exactly argv[0]; with it, CreateProcessW looks the
  // first word of the command line up (the program's folder, System32, PATH; ".exe" added).
  std::wstring program = std::filesystem::u8path(argv[0]).wstring();
  std::wstring block = o.env.empty() ? std::wstring() : environment_block(o.env);
  BOOL ok = CreateProcessW(o.search_path ? nullptr : program.c_str(), line.data(), nullptr, nullptr,
                           TRUE, CREATE_NO_WINDOW | CREATE_UNICODE_ENVIRONMENT,
                           block.empty() ? nullptr : block.data(), nullptr, &si, &pi);
  for (HANDLE h : {si.hStdInput, si.hStdOutput, si.hStdError})
    if (h != write_end && h != INVALID_HANDLE_VALUE) CloseHandle(h);
  if (capture) CloseHandle(write_end); // the child holds its copy; EOF comes when it exits
  if (!ok) {
    if (capture) CloseHandle(read_end);
    return r;
  }
  r.started = true;
  std::thread reader;
  if (capture)
    reader = std::thread([&] {
      char buf[65536];
      DWORD n = 0;
      while (ReadFile(read_end, buf, sizeof buf, &n, nullptr) && n > 0)
        r.output.append(buf, std::min<std::size_t>(n, o.max_output - r.output.size()));
    });
  DWORD waited = WaitForSingleObject(
      pi.hProcess, o.timeout.count() > 0 ? static_cast<DWORD>(o.timeout.count()) : INFINITE);
  if (waited == WAIT_TIMEOUT) {
    TerminateProcess(pi.hProcess, 1);
    WaitForSingleObject(pi.hProcess, INFINITE);
    r.timed_out = true;
  }
  if (reader.joinable()) reader.join();
  if (capture) CloseHandle(read_end);
  DWORD code = 0;
  if (!r.timed_out && GetExitCodeProcess(pi.hProcess, &code)) r.exit_code = static_cast<int>(code);
  CloseHandle(pi.hThread);
  CloseHandle(pi.hProcess);
  return r;
}

// Windows: children inherit gpucfg's environment (the allowlist is for root on Linux; an elevated
// administrator's variables are read from the registry by every new process anyway).
std::vector<std::string> child_environment() {
  return {};
}

FedProcess::FedProcess(const std::vector<std::string>& argv) {
  if (argv.empty()) return;
  std::wstring line;
  for (const auto& a : argv)
    line += (line.empty() ? L"" : L" ") + quote(std::filesystem::u8path(a).wstring());
  SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, TRUE};
  HANDLE read_end = INVALID_HANDLE_VALUE, write_end = INVALID_HANDLE_VALUE;
  if (!CreatePipe(&read_end, &write_end, &sa, 0)) return;
  SetHandleInformation(write_end, HANDLE_FLAG_INHERIT, 0); // the child gets the read end only
  STARTUPINFOW si{};
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = read_end;
  si.hStdOutput = null_device(true);
  si.hStdError = null_device(true);
  PROCESS_INFORMATION pi{};
  std::wstring program = std::filesystem::u8path(argv[0]).wstring();
  BOOL ok = CreateProcessW(program.c_str(), line.data(), nullptr, nullptr, TRUE, CREATE_NO_WINDOW,
                           nullptr, nullptr, &si, &pi);
  for (HANDLE h : {read_end, si.hStdOutput, si.hStdError})
    if (h != INVALID_HANDLE_VALUE) CloseHandle(h);
  if (!ok) {
    CloseHandle(write_end);
    return;
  }
  CloseHandle(pi.hThread);
  m_process = reinterpret_cast<std::intptr_t>(pi.hProcess);
  m_input = reinterpret_cast<std::intptr_t>(write_end);
}

bool FedProcess::write(const std::string& data) {
  if (m_input == -1) return false;
  for (std::size_t off = 0; off < data.size();) {
    DWORD n = 0;
    DWORD want = static_cast<DWORD>(std::min<std::size_t>(data.size() - off, 1u << 20));
    if (!WriteFile(reinterpret_cast<HANDLE>(m_input), data.data() + off, want, &n, nullptr) ||
        n == 0)
      return false;
    off += n;
  }
  return true;
}

void FedProcess::finish() {
  if (m_input != -1) CloseHandle(reinterpret_cast<HANDLE>(m_input));
  m_input = -1;
  if (m_process != -1) {
    WaitForSingleObject(reinterpret_cast<HANDLE>(m_process), INFINITE);
    CloseHandle(reinterpret_cast<HANDLE>(m_process));
  }
  m_process = -1;
}

} // namespace gpucfg::util
