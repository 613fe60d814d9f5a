// The file-system operations apply is made of, on host paths (root already joined): each one
// either completes or leaves things as they were, and reports errors as text instead of throwing.
// fsops.cpp is what is the same everywhere; fsops_posix.cpp and fsops_win32.cpp are the rest
// (Windows: MoveFileExW with write-through for rename-over, FlushFileBuffers for fsync).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace gpucfg::exec {

// Empty string on success, else what failed ("rename a -> b: No such file or directory").
using Status = std::string;

Status fsync_path(const std::string& path);
Status fsync_parent(const std::string& path);
// Writes `data` to `path` (created or truncated) and fsyncs it.
Status write_file(const std::string& path, const std::string& data, unsigned mode);
// Streams `from` into `to`, fsyncs, and returns its sha256 in *sha.
Status copy_file(const std::string& from, const std::string& to, unsigned mode, std::string* sha);
// Copies a folder tree (files, folders, symbolic links kept as links) and fsyncs the files.
Status copy_tree(const std::string& from, const std::string& to);
Status remove_tree(const std::string& path);
// Makes everything written under `path` durable: one syncfs() of its file system, cheaper than
// an fsync per file for the thousands of files an unpacked toolkit has.
Status fsync_tree(const std::string& path);
// mkdir -p; the folders it created, outermost first, in *created.
Status make_dirs(const std::string& path, std::vector<std::string>* created);

bool exists(const std::string& path); // lstat: links count even when dangling
// Renames `from` to `to`, replacing a file already at `to` in one step, so readers see the old
// or the new one, never neither.
Status rename_replace(const std::string& from, const std::string& to);
Status hard_link(const std::string& existing, const std::string& link);
// A symbolic link at `link` holding `target` as written (relative targets stay relative).
Status make_symlink(const std::string& target, const std::string& link);
// Removes a file or a link (never what a link points to).
Status remove_file(const std::string& path);
Status remove_empty_dir(const std::string& path);
std::optional<std::string> read_text(const std::string& path);
// Writes through a temporary file and a rename, so readers see the old or the new text.
Status write_atomic(const std::string& path, const std::string& data);

} // namespace gpucfg::exec
