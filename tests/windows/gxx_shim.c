/* g++.exe for the acceptance test under Wine: a stand-in for a Windows-hosted MinGW-w64 g++
 * (MSYS2's, WinLibs'), which no registry here carries and which the test cannot run otherwise
 * (zig's c++ from PyPI, 0.11 to 0.17, fails under Wine 8). It hands its command line to
 * Debian's MinGW-w64 cross g++, a Linux program, with Windows paths (C:\..., -IC:\...)
 * translated by Wine, and waits for it. gpucfg.exe sees a g++.exe on PATH that takes Windows
 * paths and writes PE files, which is what a Windows MinGW g++ is.
 *
 * Wine starts a Unix program from CreateProcess but gives back neither its exit code nor a
 * way to wait for it, so the program runs inside a shell script that writes its output and
 * then its exit status into files, and this waits for the second. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

typedef char*(CDECL* to_unix_fn)(LPCWSTR);
static to_unix_fn to_unix;

static int is_windows_path(const char* a) {
  return ((a[0] >= 'A' && a[0] <= 'Z') || (a[0] >= 'a' && a[0] <= 'z')) && a[1] == ':' &&
         (a[2] == '\\' || a[2] == '/');
}

static const char* unix_path(const char* p) {
  wchar_t w[4096];
  MultiByteToWideChar(CP_UTF8, 0, p, -1, w, 4096);
  char* u = to_unix(w);
  return u ? u : p;
}

static void quoted(FILE* f, const char* prefix, const char* s) {
  fprintf(f, "'%s", prefix);
  for (; *s; ++s)
    if (*s == '\'') fputs("'\\''", f);
    else fputc(*s, f);
  fputs("' ", f);
}

int main(void) {
  int argc = 0;
  LPWSTR* wargv = CommandLineToArgvW(GetCommandLineW(), &argc);
  to_unix = (to_unix_fn)GetProcAddress(GetModuleHandleA("kernel32.dll"), "wine_get_unix_file_name");
  if (!to_unix) {
    fputs("g++ shim: this runs under Wine only\n", stderr);
    return 2;
  }
  char dir[MAX_PATH], base[MAX_PATH + 64], script[MAX_PATH + 80], out[MAX_PATH + 80],
      done[MAX_PATH + 80];
  GetTempPathA(MAX_PATH, dir);
  snprintf(base, sizeof base, "%sgxx-shim-%lu", dir, (unsigned long)GetCurrentProcessId());
  snprintf(script, sizeof script, "%s.sh", base);
  snprintf(out, sizeof out, "%s.out", base);
  snprintf(done, sizeof done, "%s.done", base);
  FILE* f = fopen(script, "wb");
  if (!f) return 2;
  fputs("'/usr/bin/x86_64-w64-mingw32-g++' ", f);
  for (int i = 1; i < argc; ++i) {
    char a[8192];
    WideCharToMultiByte(CP_UTF8, 0, wargv[i], -1, a, sizeof a, NULL, NULL);
    if (is_windows_path(a)) quoted(f, "", unix_path(a));
    else if ((!strncmp(a, "-I", 2) || !strncmp(a, "-L", 2)) && is_windows_path(a + 2)) {
      char flag[3] = {a[0], a[1], 0};
      quoted(f, flag, unix_path(a + 2));
    } else quoted(f, "", a);
  }
  fprintf(f, "> '%s' 2>&1\n", unix_path(out));
  fprintf(f, "echo $? > '%s.tmp' && mv '%s.tmp' '%s'\n", unix_path(done), unix_path(done),
          unix_path(done));
  fclose(f);

  char line[MAX_PATH + 32];
  snprintf(line, sizeof line, "Z:\\bin\\sh %s", unix_path(script));
  STARTUPINFOA si = {sizeof si};
  PROCESS_INFORMATION pi;
  if (!CreateProcessA(NULL, line, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) {
    fprintf(stderr, "g++ shim: cannot start /bin/sh (error %lu)\n", GetLastError());
    return 2;
  }
  for (int waited = 0; GetFileAttributesA(done) == INVALID_FILE_ATTRIBUTES; waited += 20) {
    if (waited > 600000) {
      fputs("g++ shim: the compiler did not finish in 600 s\n", stderr);
      return 2;
    }
    Sleep(20);
  }
  char buf[65536];
  size_t n;
  if ((f = fopen(out, "rb"))) {
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
    fclose(f);
  }
  int code = 2;
  if ((f = fopen(done, "rb"))) {
    if (fscanf(f, "%d", &code) != 1) code = 2;
    fclose(f);
  }
  DeleteFileA(script);
  DeleteFileA(out);
  DeleteFileA(done);
  return code;
}
