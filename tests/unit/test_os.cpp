// The platform primitives (util/os.hpp) on this system; the Windows build runs the same cases
// under Wine (LockFileEx, LoadLibrary, MapViewOfFile, ReadFile at an offset).
#include "disk/fsops.hpp"
#include "helpers.hpp"
#include "util/os.hpp"

#include <catch2/catch.hpp>

using namespace gpucfg;

TEST_CASE("os: a file lock is exclusive until it is released") {
  test::TempDir dir;
  std::string path = (dir.path() / "lock").string();
  util::FileLock a, b;
  REQUIRE(a.try_lock(path));
  CHECK(a.held());
  CHECK_FALSE(b.try_lock(path)); // another holder
  CHECK(b.error().empty());      // held, not broken
  a.unlock();
  CHECK(b.try_lock(path));
  util::FileLock c;
  CHECK_FALSE(c.try_lock((dir.path() / "no" / "such" / "folder").string()));
  CHECK_FALSE(c.error().empty());
}

TEST_CASE("os: mappings, reads at an offset, temporary folders") {
  test::TempDir dir;
  std::string path = (dir.path() / "data").string();
  REQUIRE(disk::write_file(path, "0123456789", 0644).empty());
  {
    util::MappedFile map(path);
    REQUIRE(map.size() == 10);
    CHECK(std::string(map.data(), map.size()) == "0123456789");
  }
  CHECK(util::MappedFile((dir.path() / "absent").string()).empty());
  int fd = util::open_read(path);
  REQUIRE(fd >= 0);
  char buf[4] = {};
  CHECK(util::read_at(fd, buf, 4, 6) == 4);
  CHECK(std::string(buf, 4) == "6789");
  CHECK(util::read_at(fd, buf, 4, 20) == 0); // past the end
  util::close_fd(fd);
  CHECK(util::open_read((dir.path() / "absent").string()) < 0);

  std::string t1 = util::make_temp_dir("gpucfg-os-test"),
              t2 = util::make_temp_dir("gpucfg-os-test");
  CHECK(!t1.empty());
  CHECK(t1 != t2);
  CHECK(disk::exists(t1));
  CHECK(disk::remove_tree(t1).empty());
  CHECK(disk::remove_tree(t2).empty());
  CHECK(util::process_id() > 0);
  CHECK_FALSE(util::hostname().empty());
}

TEST_CASE("os: a system library loads and gives its symbols; a missing one says why") {
#ifdef _WIN32
  util::DynamicLibrary lib("kernel32.dll");
  const char* symbol = "GetCurrentProcessId";
#else
  util::DynamicLibrary lib("libc.so.6");
  const char* symbol = "getpid";
#endif
  REQUIRE(lib.loaded());
  CHECK(lib.symbol(symbol) != nullptr);
  CHECK(lib.symbol("gpucfg_no_such_symbol") == nullptr);
  CHECK_FALSE(lib.path().empty());
  util::DynamicLibrary missing("gpucfg-no-such-library.so");
  CHECK_FALSE(missing.loaded());
  CHECK_FALSE(missing.error().empty());
}
