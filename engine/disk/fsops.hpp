// This computer's file operations, the primitives RealDisk (disk/real_disk.hpp) is made of, on
// host paths (root already joined): each one either completes or leaves things as they were, and
// reports errors as text instead of throwing. fsops.cpp is what is the same everywhere;
// fsops_posix.cpp and fsops_win32.cpp are the rest (Windows: MoveFileExW with write-through for
// rename-over, FlushFileBuffers for fsync, CREATE_NEW for exclusive creation).
#pragma once

#include "disk/disk.hpp" // Status, k_no_reflink

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gpucfg::disk {

Status fsync_path(const std::string& path);
Status fsync_parent(const std::string& path);
// Creates `path` holding `data` and fsyncs it. Never writes through what is already there: a
// file, or a link planted at the name, is an error (O_EXCL|O_NOFOLLOW; CREATE_NEW), so a write
// can never change the bytes of a file another name shares (a hard link into the store).
Status write_file(const std::string& path, const std::string& data, unsigned mode);
// Streams `from` into the new file `to` (created as write_file does), fsyncs, and returns its
// sha256 in *sha (hashed from what landed).
Status copy_file(const std::string& from, const std::string& to, unsigned mode, std::string* sha);
// `to` made to share `from`'s blocks (FICLONE), copy-on-write: a later write to either changes
// only that one. k_no_reflink where the file system has none (ext4, another file system).
Status clone_file(const std::string& from, const std::string& to, unsigned mode);
// Sets the permission bits of a file or folder opened without following links (a link there is
// an error, never a chmod of what it points to).
Status set_mode(const std::string& path, unsigned mode);
// Sets a file's modification time (links are not followed).
Status set_mtime(const std::string& path, std::int64_t mtime_ns);
// Copies a folder tree (files, folders, symbolic links kept as links) and fsyncs the files.
Status copy_tree(const std::string& from, const std::string& to);
Status remove_tree(const std::string& path);
// Makes everything written under `path` durable: one syncfs() of its file system, cheaper than
// an fsync per file for the thousands of files an unpacked toolkit has.
Status fsync_tree(const std::string& path);
// One folder with exactly `mode` (whatever the umask), or "" when a folder is already there (its
// mode then left alone). The mode is set on the folder opened without following links, so a
// link swapped in after the mkdir never lends root's chmod to another file.
Status make_one_dir(const std::string& path, unsigned mode);
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

} // namespace gpucfg::disk
