// Getting an artifact's bytes onto this computer, pinned.
//
// Downloads land in the store's artifacts bucket (store/store.hpp): <store>/artifacts/<hex> holds
// bytes whose hash is <hex>, written only after they were checked, so a hit needs no second
// download. Downloads go to <store>/partial/ first and resume from there (HTTP Range) after a
// cut. `cache_dir` below is the store's folder. Locations are tried in
// order (a team's mirrors first, the origin last); a local path is used where it lies, not
// copied, since extraction checks its hash anyway. Wheels named only by "package==version" are
// fetched by `pip download`, so the user's pip configuration (index, proxy, certificates)
// applies.
#pragma once

#include "source/artifact.hpp"
#include "source/layout.hpp" // pep503_name

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace gpucfg::source {

struct Progress {
  std::string name, url;
  std::uint64_t done = 0, total = 0; // total 0: unknown
  bool finished = false;
  // Every download of the batch this one is in (several run at once): bytes so far and expected
  // (0: unknown), files finished and in all. One file alone: its own numbers.
  std::uint64_t all_done = 0, all_total = 0;
  unsigned files_done = 0, files_total = 1;
};

struct FetchOptions {
  std::string cache_dir;
  bool allow_unpinned = false;
  int retries = 3;             // after the first try, per location
  int backoff_ms = 1000;       // doubled after each try ($GPUCFG_RETRY_BACKOFF_MS overrides)
  long connect_timeout_s = 30; // $GPUCFG_CONNECT_TIMEOUT
  long stall_timeout_s = 60;   // abort when no byte arrived for this long ($GPUCFG_STALL_TIMEOUT)
  std::function<void(const Progress&)> progress;
};

struct FetchResult {
  std::string path;   // a local file holding the artifact; "" on failure
  std::string sha256; // its hash (computed for unpinned artifacts)
  std::string error;  // every location tried and what each answered
  std::string where;  // cache | file | downloaded
};

// Where the artifact is on this computer already, without fetching: the cache, then local
// locations (as root, only those no other user can change). "" when it is not. Does not hash.
std::string locate(const Artifact& a, const std::string& cache_dir);

// How plan sees it: cache | file | download | pip | missing.
std::string availability(const Artifact& a, const std::string& cache_dir);

FetchResult fetch(const Artifact& a, const FetchOptions& o);

// Puts a fetched artifact into a mirror folder where GPUCFG_MIRROR finds it (settings.hpp):
// <mirror_dir>/<mirror_path>, hard-linked from the cache where it can be. Returns the path, or
// "" with *error.
std::string mirror_file(const Artifact& a, const std::string& cache_dir,
                        const std::string& mirror_dir, std::string* error);

// A simple index's project page (HTML, PEP 503) holds an <a href> per file: the URL of `file`
// on it, made absolute against `page_url` and without its #sha256= fragment; "" if not listed.
std::string index_file_url(const std::string& html, const std::string& page_url,
                           const std::string& file);

// A path for file:// URLs and plain paths; "" for anything else.
std::string local_path(const std::string& location);

} // namespace gpucfg::source
