// Who could have written a path. gpucfg runs as root and writes into system folders; what it
// reads, runs or writes as root must be what root (or the user running it) and the system own.
// A path is trusted when it and every folder above it (links resolved) belong to root or to this
// user and no other user can write them; a folder others may write still serves when it is
// sticky (as /tmp is) and the entry below it is ours, since then no one else can rename or
// remove that entry. trust_posix.cpp reads the modes and owners; on Windows, whose ACLs gpucfg
// does not read, every path is trusted (said in ARCHITECTURE.md).
//
// GPUCFG_SINGLE_USER=1 says the machine has one user: refusals become warnings. Nothing else
// turns them off.
#pragma once

#include <optional>
#include <string>

namespace gpucfg::util {

// nullopt when trusted; else why not, in words ("/home/ann (owned by uid 1000)").
std::optional<std::string> untrusted(const std::string& path);

// GPUCFG_SINGLE_USER=1.
bool single_user();

} // namespace gpucfg::util
