// Scripts\<name>.exe of a Windows environment: runs python.exe beside it with <name>-script.py
// beside it and the arguments it was given, and exits with that program's code. One program
// for every console script (setuptools' cli.exe design); its own name says which script.
// Only the Win32 API: a few kilobytes, no C++ runtime to find.
#include <windows.h>

namespace {

// The command line after the program's own name (quoted or not), its leading space kept.
const wchar_t* arguments(const wchar_t* line) {
  if (*line == L'"') {
    for (++line; *line && *line != L'"'; ++line) {
    }
    return *line ? line + 1 : line;
  }
  while (*line && *line != L' ' && *line != L'\t')
    ++line;
  return line;
}

void say(const wchar_t* text) {
  DWORD n = 0;
  WriteConsoleW(GetStdHandle(STD_ERROR_HANDLE), text, lstrlenW(text), &n, nullptr);
}

// Ctrl-C goes to the script, which decides; the launcher only waits for it.
BOOL WINAPI ignore(DWORD) {
  return TRUE;
}

} // namespace

int main() {
  static wchar_t self[32768], python[32768], script[32768];
  DWORD n = GetModuleFileNameW(nullptr, self, 32768);
  if (n == 0 || n >= 32768 - 16) return 101;
  lstrcpyW(script, self);
  int len = lstrlenW(script);
  if (len > 4 && lstrcmpiW(script + len - 4, L".exe") == 0) script[len - 4] = 0;
  lstrcatW(script, L"-script.py");
  lstrcpyW(python, self);
  wchar_t* slash = python;
  for (wchar_t* p = python; *p; ++p)
    if (*p == L'\\' || *p == L'/') slash = p + 1;
  lstrcpyW(slash, L"python.exe");
  const wchar_t* rest = arguments(GetCommandLineW());
  int size = lstrlenW(python) + lstrlenW(script) + lstrlenW(rest) + 8;
  auto* line = static_cast<wchar_t*>(HeapAlloc(GetProcessHeap(), 0, size * sizeof(wchar_t)));
  if (!line) return 101;
  lstrcpyW(line, L"\"");
  lstrcatW(line, python);
  lstrcatW(line, L"\" \"");
  lstrcatW(line, script);
  lstrcatW(line, L"\"");
  lstrcatW(line, rest);
  SetConsoleCtrlHandler(ignore, TRUE);
  STARTUPINFOW si{};
  si.cb = sizeof si;
  PROCESS_INFORMATION pi{};
  if (!CreateProcessW(python, line, nullptr, nullptr, TRUE, 0, nullptr, nullptr, &si, &pi)) {
    say(L"cannot run ");
    say(python);
    say(L"\r\n");
    return 101;
  }
  WaitForSingleObject(pi.hProcess, INFINITE);
  DWORD code = 1;
  GetExitCodeProcess(pi.hProcess, &code);
  return static_cast<int>(code);
}
