#include "util/trust.hpp"

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

std::optional<std::string> untrusted(const std::string& path) {
  // The path as it will be reached: links resolved, so a link another user planted is judged by
  // where it leads. A path that does not exist yet is judged by its nearest existing folder.
  std::string p = path;
  char buf[PATH_MAX];
  while (!p.empty() && ::realpath(p.c_str(), buf) == nullptr) {
    auto slash = p.find_last_of('/');
    p = slash == 0 ? "/" : slash == std::string::npos ? "" : p.substr(0, slash);
  }
  if (p.empty()) return std::nullopt;
  std::string real = buf;
  const uid_t me = ::geteuid();
  // From the top down: "/", "/usr", "/usr/local", ... each must be root's or ours, and no one
  // else may write it, except a sticky folder above the end (the entries in it are ours, so no
  // one else can rename or remove them).
  std::vector<std::string> prefixes = {"/"};
  for (std::size_t at = 1; at <= real.size();) {
    std::size_t next = real.find('/', at);
    if (next == std::string::npos) next = real.size();
    if (next > at) prefixes.push_back(real.substr(0, next));
    at = next + 1;
  }
  for (std::size_t i = 0; i < prefixes.size(); ++i) {
    const std::string& at = prefixes[i];
    struct stat st {};
    if (::lstat(at.c_str(), &st) != 0) return std::nullopt; // gone meanwhile: nothing to trust
    if (st.st_uid != 0 && st.st_uid != me) return at + " (" + owner_words(st) + ")";
    bool others_write =
        (st.st_mode & S_IWOTH) || ((st.st_mode & S_IWGRP) && others_in_group(st.st_gid, me));
    bool sticky_dir = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX);
    if (others_write && (i + 1 == prefixes.size() || !sticky_dir)) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      return at + " (mode " + std::string(mode) + ": other users can write it)";
    }
  }
  return std::nullopt;
}

} // namespace gpucfg::util
