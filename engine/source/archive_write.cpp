// Writing archives (capture's redist-style tarballs) and finishing an unpacked tree (the links
// NVIDIA's installer makes): apart from extraction, which is archive.cpp.
#include "source/archive.hpp"
#include "source/libarchive_util.hpp"
#include "util/fileinfo.hpp"
#include "util/sha256.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace gpucfg::source {

namespace fs = std::filesystem;

namespace {} // namespace

std::vector<std::string> finish_tree(const std::string& dest, const std::string& target_arch) {
  std::vector<std::string> made;
  auto link = [&](const std::string& target, const std::string& rel) {
    std::string host = dest + "/" + rel;
    if (util::lstat_info(host)) return;
    std::error_code ec;
    fs::create_directories(fs::path(host).parent_path(), ec);
    fs::create_symlink(target, host, ec);
    if (!ec) made.push_back(rel + " -> " + target);
  };
  std::error_code ec;
  if (fs::is_directory(dest + "/lib")) {
    // libX.so.8.9.7 with no libX.so.8 / libX.so: the names the loader and the linker look for.
    std::set<std::string> names;
    for (fs::directory_iterator it(dest + "/lib", ec), end; !ec && it != end; it.increment(ec))
      names.insert(it->path().filename().string());
    for (const auto& n : names) {
      auto so = n.find(".so.");
      if (so == std::string::npos) continue;
      std::string stem = n.substr(0, so + 3), rest = n.substr(so + 4);
      std::string major = stem + "." + rest.substr(0, rest.find('.'));
      if (major != n && !names.count(major)) {
        link(n, "lib/" + major);
        names.insert(major);
      }
      if (!names.count(stem)) {
        link(major, "lib/" + stem);
        names.insert(stem);
      }
    }
    link("lib", "lib64");
  }
  if (!target_arch.empty()) {
    if (fs::is_directory(dest + "/include"))
      link("../../include", "targets/" + target_arch + "/include");
    if (fs::is_directory(dest + "/lib")) link("../../lib", "targets/" + target_arch + "/lib");
  }
  return made;
}

WriteResult write_archive(const std::string& out, const std::string& format, int level,
                          const std::vector<ArchiveMember>& members) {
  WriteResult r;
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  int rc = format == "tar.xz"    ? archive_write_add_filter_xz(a)
           : format == "tar.zst" ? archive_write_add_filter_zstd(a)
           : format == "tar.gz"  ? archive_write_add_filter_gzip(a)
                                 : ARCHIVE_FATAL;
  if (rc != ARCHIVE_OK) {
    archive_write_free(a);
    r.error = "unsupported archive format '" + format + "' (tar.gz, tar.xz, tar.zst)";
    return r;
  }
  archive_write_set_filter_option(a, nullptr, "compression-level", std::to_string(level).c_str());
  if (archive_write_open_filename(a, out.c_str()) != ARCHIVE_OK) {
    r.error = out + ": " + archive_why(a);
    archive_write_free(a);
    return r;
  }
  std::vector<char> buf(k_archive_block);
  for (const auto& m : members) {
    auto st = util::lstat_info(m.path);
    if (!st) {
      r.error = m.path + ": cannot read it";
      break;
    }
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, m.name.c_str());
    archive_entry_set_perm(e, st->mode & 0777);
    archive_entry_set_mtime(e, static_cast<time_t>(st->mtime_ns / 1000000000),
                            static_cast<long>(st->mtime_ns % 1000000000));
    if (st->kind == util::FileInfo::Kind::symlink) {
      archive_entry_set_filetype(e, AE_IFLNK);
      archive_entry_set_symlink(e, fs::read_symlink(m.path).generic_u8string().c_str());
      archive_write_header(a, e);
    } else if (st->kind == util::FileInfo::Kind::dir) {
      archive_entry_set_filetype(e, AE_IFDIR);
      archive_write_header(a, e);
    } else {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_size(e, static_cast<la_int64_t>(st->size));
      archive_write_header(a, e);
      std::ifstream in(fs::u8path(m.path), std::ios::binary);
      while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        if (in.gcount() > 0)
          archive_write_data(a, buf.data(), static_cast<std::size_t>(in.gcount()));
      }
      r.unpacked_size += st->size;
    }
    archive_entry_free(e);
  }
  if (archive_write_close(a) != ARCHIVE_OK && r.error.empty())
    r.error = out + ": " + archive_why(a);
  archive_write_free(a);
  if (!r.error.empty()) return r;
  r.sha256 = util::sha256_file(out).value_or("");
  std::error_code ec;
  r.size = fs::file_size(out, ec);
  return r;
}

} // namespace gpucfg::source
