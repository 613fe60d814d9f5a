#include "util/trust.hpp"

#include "util/strings.hpp"

#include <algorithm>
#include <climits>
#include <grp.h>
#include <pwd.h>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace gpucfg::util {

namespace {

std::string owner_words(const struct stat& st) {
  return "owned by uid " + std::to_string(st.st_uid);
}

// Whether a user other than root and `me` is in group `gid` (a member, or its primary group).
// A folder writable by a group no one else is in (Debian's /usr/local is 2775 root:staff, and
// staff is empty on most machines) is no one else's to write.
bool others_in_group(gid_t gid, uid_t me) {
  if (gid == 0) return false;
  if (const struct group* g = ::getgrgid(gid))
    for (char** m = g->gr_mem; m && *m; ++m)
      if (const struct passwd* pw = ::getpwnam(*m); !pw || (pw->pw_uid != 0 && pw->pw_uid != me))
        return true;
  ::setpwent();
  bool found = false;
  while (const struct passwd* pw = ::getpwent())
    if (pw->pw_gid == gid && pw->pw_uid != 0 && pw->pw_uid != me) {
      found = true;
      break;
    }
  ::endpwent();
  return found;
}

} // namespace

bool single_user() {
  const char* e = std::getenv("GPUCFG_SINGLE_USER");
  return e && std::string(e) == "1";
}

namespace {

// Why `at` (just lstat'ed as `st`) is not ours to trust; "" when it is. `last`: nothing is
// looked up below it.
std::string judge(const std::string& at, const struct stat& st, bool last, uid_t me) {
  if (st.st_uid != 0 && st.st_uid != me) return at + " (" + owner_words(st) + ")";
  if (S_ISLNK(st.st_mode)) return ""; // a link's own bits mean nothing; its folder was judged
  bool others_write =
      (st.st_mode & S_IWOTH) || ((st.st_mode & S_IWGRP) && others_in_group(st.st_gid, me));
  bool sticky_dir = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX);
  if (!others_write || (sticky_dir && !last)) return "";
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return at + " (mode " + std::string(mode) + ": other users can write it)";
}

} // namespace

std::optional<std::string> untrusted(const std::string& path) {
  const uid_t me = ::geteuid();
  // Component by component, as the kernel walks it: each folder judged before anything in it is
  // looked up, and a link judged where it lies, then followed. Resolving links first would let a
  // link someone else planted lead the judgement to a folder of root's. Where the path stops
  // existing, what would be made there is made in a folder already judged.
  std::string start = path;
  if (start.empty() || start[0] != '/') {
    char cwd[PATH_MAX];
    if (!::getcwd(cwd, sizeof cwd)) return std::string("the current folder cannot be read");
    start = std::string(cwd) + "/" + start;
  }
  std::vector<std::string> todo = path_parts(start);
  std::reverse(todo.begin(), todo.end());
  std::string current = "/";
  struct stat st {};
  if (::lstat("/", &st) == 0)
    if (auto why = judge("/", st, todo.empty(), me); !why.empty()) return why;
  int links = 0;
  while (!todo.empty()) {
    std::string part = todo.back();
    todo.pop_back();
    if (part == ".") continue;
    if (part == "..") {
      auto slash = current.find_last_of('/');
      current = slash == 0 ? "/" : current.substr(0, slash);
      continue;
    }
    std::string next = current == "/" ? "/" + part : current + "/" + part;
    if (::lstat(next.c_str(), &st) != 0) return std::nullopt;
    if (auto why = judge(next, st, todo.empty(), me); !why.empty()) return why;
    if (S_ISLNK(st.st_mode)) {
      if (++links > 40) return next + " (a loop of links)";
      char target[PATH_MAX];
      ssize_t n = ::readlink(next.c_str(), target, sizeof target - 1);
      if (n < 0) return next + " (a link that cannot be read)";
      target[n] = '\0';
      auto more = path_parts(target);
      todo.insert(todo.end(), more.rbegin(), more.rend());
      if (target[0] == '/') current = "/";
      continue;
    }
    current = next;
  }
  return std::nullopt;
}

} // namespace gpucfg::util
