// Reading and writing archives through libarchive (tar with gzip/xz/zstd/bzip2, zip, wheels).
//
// extract() streams an archive into a fresh folder and refuses anything that could write
// outside it: absolute names, "..", entries that pass through a symbolic link, links whose
// target leaves the folder (checked again once every link exists, so chains cannot escape),
// hard links to anything but a file this archive already wrote, device nodes, fifos and
// sockets. setuid/setgid/sticky bits are dropped. It stops when the unpacked bytes pass the
// cap (a decompression bomb ends there) and fails on truncated or corrupt data. The archive's
// own bytes are hashed on a second thread while they are decompressed, so the pin is checked
// without a separate pass. On failure the caller removes the folder: it was a staging folder.
#pragma once

#include "source/artifact.hpp"
#include "source/layout.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace gpucfg::source {

struct ExtractOptions {
  Layout layout = Layout::automatic;
  std::string component;               // names the license folder and messages
  std::vector<std::string> components; // installers: the component folders to take (empty: all)
  std::string expected_sha256;         // "" with --allow-unpinned only
  std::uint64_t expected_size = 0;     // bytes of the archive; 0: not declared
  std::uint64_t max_unpacked = 0;      // 0: 32 × the archive's size, at least 256 MiB
  std::string site_packages;           // layout python: where the wheel's own files go
  // A large zip (a framework's wheel) unpacked by several extractors at once: this one writes
  // the regular files whose ordinal % shards == shard (shard 0 also the folders and links).
  // Shards check no pin: a job with verify_only hashes the file beside them.
  unsigned shard = 0, shards = 1;
  bool verify_only = false;
};

// The options an artifact's own fields say: its layout, pins, declared sizes and components.
ExtractOptions extract_options(const Artifact& a);

struct ExtractResult {
  std::string error; // "" when everything was extracted and the pins matched
  std::string sha256;
  std::uint64_t archive_bytes = 0, unpacked_bytes = 0;
  int special_bits_dropped = 0, left_out = 0;
  Layout layout = Layout::automatic; // as detected
  // Each regular file's sha256 as it was written (relative to dest), hashed as its bytes passed:
  // the record keeps them so that plan --checksum can check the tree later at no extra read.
  std::map<std::string, std::string> file_sha256;
};

// Extracts `archive` into `dest` (which must exist; may already hold other archives' files:
// an entry that would overwrite one is refused). Messages name the archive and the entry.
ExtractResult extract(const std::string& archive, const std::string& dest,
                      const ExtractOptions& options);

// Extracts several archives into one folder at once, largest first (declared sizes), on `jobs`
// threads (0: one per core). Results are in the order of `archives`. `done(i)` is called on the
// extracting thread as soon as archive i is in without error, so later work can start early.
struct ExtractJob {
  std::string archive;
  ExtractOptions options;
  std::string dest{}; // this job's folder, where it is not extract_many's
};
std::vector<ExtractResult> extract_many(const std::vector<ExtractJob>& archives,
                                        const std::string& dest, unsigned jobs,
                                        const std::function<void(std::size_t)>& done = {});

// The jobs that unpack one archive with `options`: one, or for a zip over 64 MiB (a framework's
// or cuBLAS's wheel, which would keep one core busy long after the others are done) one shard
// per core plus a job that checks its pin.
std::vector<ExtractJob> extraction_jobs(const std::string& archive, const ExtractOptions& options,
                                        unsigned cores);

// After all archives of a tree are in: the links a toolkit expects that archives do not carry.
// lib64 -> lib, targets/<arch>/{include,lib} -> ../../…, and libX.so / libX.so.N links for a
// libX.so.N.M.P that has none (NVIDIA's wheels ship only the versioned names). Returns what it
// made, relative to `dest`.
std::vector<std::string> finish_tree(const std::string& dest, const std::string& target_arch);

struct ArchiveMember {
  std::string path; // on this computer
  std::string name; // inside the archive
  bool symlink = false;
};

struct WriteResult {
  std::string error, sha256;
  std::uint64_t size = 0, unpacked_size = 0;
};

// Writes a tar archive (format "tar.gz", "tar.xz", "tar.zst") at `level` holding `members`.
WriteResult write_archive(const std::string& out, const std::string& format, int level,
                          const std::vector<ArchiveMember>& members);

} // namespace gpucfg::source
