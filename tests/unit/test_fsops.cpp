// The file operations apply is built from, on this platform's file system (Linux here; the
// Windows build runs the same cases under Wine, through MoveFileExW, CreateHardLinkW,
// CreateSymbolicLinkW and FlushFileBuffers).
#include "disk/fsops.hpp"
#include "helpers.hpp"
#include "util/fileinfo.hpp"
#include "util/sha256.hpp"

#include <catch2/catch.hpp>

using namespace gpucfg;
using Kind = util::FileInfo::Kind;

TEST_CASE("fsops: write, atomic replace, copy with its hash") {
  test::TempDir dir;
  std::string a = (dir.path() / "a.txt").string(), b = (dir.path() / "b.txt").string();
  REQUIRE(disk::write_file(a, "first\n", 0644).empty());
  CHECK(disk::read_text(a) == "first\n");
  auto info = util::lstat_info(a);
  REQUIRE(info);
  CHECK(info->kind == Kind::file);
  CHECK(info->size == 6);
  CHECK(info->mtime_ns > 1600000000LL * 1000000000LL); // after 2020: the epoch is converted

  REQUIRE(disk::write_atomic(a, "second\n").empty()); // over the existing file
  CHECK(disk::read_text(a) == "second\n");
  CHECK_FALSE(disk::exists(a + ".tmp"));

  std::string sha;
  REQUIRE(disk::copy_file(a, b, 0644, &sha).empty());
  CHECK(sha == util::sha256_hex("second\n"));
  CHECK(disk::fsync_path(b).empty());
  CHECK(disk::fsync_parent(b).empty());
  CHECK(disk::fsync_tree(dir.path().string()).empty());
}

TEST_CASE("fsops: rename over a file, hard links, removal") {
  test::TempDir dir;
  std::string old_file = (dir.path() / "lib.dll").string(),
              staged = (dir.path() / ".gpucfg-new-lib.dll").string(),
              backup = (dir.path() / ".gpucfg-old-lib.dll").string();
  REQUIRE(disk::write_file(old_file, "old", 0644).empty());
  REQUIRE(disk::write_file(staged, "new", 0644).empty());
  // apply's swap: the old file kept by a hard link, the new one renamed over it.
  REQUIRE(disk::hard_link(old_file, backup).empty());
  REQUIRE(disk::rename_replace(staged, old_file).empty());
  CHECK(disk::read_text(old_file) == "new");
  CHECK(disk::read_text(backup) == "old");
  CHECK_FALSE(disk::exists(staged));
  REQUIRE(disk::remove_file(backup).empty());
  CHECK_FALSE(disk::exists(backup));
  CHECK_FALSE(disk::remove_file(backup).empty()); // gone: an error, said
  CHECK_FALSE(disk::rename_replace(staged, old_file).empty());
}

TEST_CASE("fsops: folders made and removed, links kept as links") {
  test::TempDir dir;
  std::vector<std::string> created;
  std::string deep = (dir.path() / "v11.2" / "bin").string();
  REQUIRE(disk::make_dirs(deep, &created).empty());
  REQUIRE(created.size() == 2);
  CHECK(created[0] == (dir.path() / "v11.2").string());
  CHECK(util::lstat_info(deep)->kind == Kind::dir);
  REQUIRE(disk::write_file(deep + "/cusolver64_11.dll", "x", 0644).empty());

  // A link is made and reads through, or (Wine: CreateSymbolicLinkW is a stub that reports
  // success) the failure is reported and nothing is left; never a silent success.
  std::string link = (dir.path() / "v11.2" / "bin" / "cusolver64_10.dll").string();
  disk::Status made = disk::make_symlink("cusolver64_11.dll", link);
  if (made.empty()) {
    auto info = util::lstat_info(link);
    REQUIRE(info);
    CHECK(info->kind == Kind::symlink);
    CHECK(disk::read_text(link) == "x"); // read through the link
    REQUIRE(disk::remove_file(link).empty());
  } else {
    WARN("no symbolic links here: " << made);
    CHECK_FALSE(disk::exists(link));
  }
  CHECK(disk::exists(deep + "/cusolver64_11.dll")); // the target stays

  std::string copy = (dir.path() / "copy").string();
  REQUIRE(disk::copy_tree((dir.path() / "v11.2").string(), copy).empty());
  CHECK(disk::read_text(copy + "/bin/cusolver64_11.dll") == "x");
  CHECK_FALSE(disk::remove_empty_dir(copy).empty()); // not empty
  REQUIRE(disk::remove_tree(copy).empty());
  CHECK_FALSE(disk::exists(copy));
  REQUIRE(disk::make_dirs(copy, nullptr).empty());
  CHECK(disk::remove_empty_dir(copy).empty());
}

TEST_CASE("fsops: list_lstat says what list and lstat say, one entry at a time") {
  test::TempDir dir;
  std::string d = dir.path().string();
  REQUIRE(disk::write_file(d + "/b.txt", "bee\n", 0644).empty());
  REQUIRE(disk::make_dirs(d + "/a/inner", nullptr).empty());
  REQUIRE(disk::write_file(d + "/a/inner/x", "x", 0755).empty());
#ifndef _WIN32 // symbolic links under Wine are a stub (README)
  REQUIRE(disk::make_symlink("nowhere", d + "/c-link").empty());
#endif
  auto got = util::list_lstat(d);
  std::vector<std::string> names;
  for (const auto& [name, info] : got) {
    names.push_back(name);
    auto one = util::lstat_info(d + "/" + name);
    REQUIRE(one);
    CHECK(info.kind == one->kind);
    CHECK(info.size == one->size);
    CHECK(info.mtime_ns == one->mtime_ns);
    CHECK(info.mode == one->mode);
  }
#ifndef _WIN32
  CHECK(names ==
        std::vector<std::string>{"a", "b.txt", "c-link"}); // sorted; a dangling link is there
  CHECK(got[2].second.kind == Kind::symlink);
#else
  CHECK(names == std::vector<std::string>{"a", "b.txt"});
#endif
  CHECK(got[0].second.kind == Kind::dir);
  CHECK(util::list_lstat(d + "/missing").empty());
}
