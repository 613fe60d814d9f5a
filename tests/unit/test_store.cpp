// The store on a disk in memory: entries are whole or absent, checked against their records
// (a write through an installed hard link included), placed by the cheapest means, swept by gc
// according to the roots; keys change exactly when what goes in does.
#include "disk/fake_disk.hpp"
#include "store/gc.hpp"
#include "store/key.hpp"
#include "store/materialize.hpp"
#include "store/store.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

#include <catch2/catch.hpp>

using namespace gpucfg;

namespace {

store::Store::Fill files(std::map<std::string, std::string> content, disk::Disk& d) {
  return [content, &d](const std::string& dir, store::TreeManifest*) -> store::Status {
    for (const auto& [p, data] : content) {
      disk::make_dirs(d, disk::parent_of(dir + "/" + p));
      if (auto s = d.write(dir + "/" + p, data, p.rfind("bin/", 0) == 0 ? 0755 : 0644); !s.empty())
        return s;
    }
    return "";
  };
}

const std::string k_key(64, 'a'), k_other(64, 'b');

} // namespace

TEST_CASE("store: an entry is made whole or not at all, and recorded with its hashes") {
  disk::FakeDisk d;
  store::Store st(d, "/s");
  REQUIRE(st.open().empty());
  CHECK(d.read("/s/VERSION") == "gpucfg store 1\n");
  REQUIRE(st.add_tree(k_key, {"a.tar sha256:1234"}, files({{"bin/nvcc", "x"}, {"lib/a.so", "y"}}, d))
              .empty());
  CHECK(st.has_tree(k_key));
  auto r = st.record(k_key);
  REQUIRE(r);
  CHECK(r->inputs == std::vector<std::string>{"a.tar sha256:1234"});
  REQUIRE(r->tree.files.size() == 2);
  CHECK(r->tree.files[0].sha256 == util::sha256_hex("x"));
  CHECK(r->tree.files[0].mode == 0755);
  CHECK(st.check(k_key, true).empty());

  // A fill that fails leaves nothing, not even its temporary folder.
  auto failing = [&](const std::string& dir, store::TreeManifest*) -> store::Status {
    d.write(dir + "/half", "written", 0644);
    return "the archive is truncated";
  };
  CHECK(st.add_tree(k_other, {}, failing) == "the archive is truncated");
  CHECK_FALSE(st.has_tree(k_other));
  CHECK(d.list("/s/tmp").empty());
  CHECK_FALSE(disk::exists(d, st.tree(k_other)));

  // A failure at any change along the way also leaves no entry.
  for (int k = 1; k < 12; ++k) {
    disk::FakeDisk d2;
    store::Store s2(d2, "/s");
    REQUIRE(s2.open().empty());
    d2.fail_at(k);
    bool made = s2.add_tree(k_key, {}, files({{"a", "1"}, {"b/c", "2"}}, d2)).empty();
    CHECK(made == s2.has_tree(k_key));
    if (made) CHECK(s2.check(k_key, true).empty());
  }
}

TEST_CASE("store: a file whose mtime moved but whose bytes did not is taken into the record") {
  // As an entry remade by a run killed between renaming its files and its record leaves it:
  // without this, every quick check of the entry and of the trees linked from it would say the
  // tree changed, and no apply could make it converge (found by the property test).
  disk::FakeDisk d;
  store::Store st(d, "/s");
  REQUIRE(st.open().empty());
  REQUIRE(st.add_tree(k_key, {}, files({{"lib/a.so", "same"}, {"lib/b.so", "1234"}}, d)).empty());
  auto was = st.record(k_key)->tree.files;
  REQUIRE(d.set_mtime(st.tree(k_key) + "/lib/a.so", was[0].mtime_ns + 5000000000).empty());
  CHECK(st.check(k_key, false).empty());
  CHECK(st.record(k_key)->tree.files[0].mtime_ns == was[0].mtime_ns + 5000000000);
  // The same size and a new mtime over other bytes stays damage, and the record keeps its word.
  d.overwrite(st.tree(k_key) + "/lib/b.so", "4321");
  CHECK(st.check(k_key, false).find("~lib/b.so") != std::string::npos);
  CHECK(st.record(k_key)->tree.files[1].mtime_ns == was[1].mtime_ns);
}

TEST_CASE("store: check sees every kind of damage; a write through a hard link is damage") {
  disk::FakeDisk d;
  store::Store st(d, "/s");
  REQUIRE(st.open().empty());
  REQUIRE(st.add_tree(k_key, {}, files({{"bin/nvcc", "nvcc"}, {"lib/x.so", "0123456789"}}, d))
              .empty());
  auto m = store::materialize(st, k_key, "/opt/tk");
  REQUIRE(m.error.empty());
  CHECK(m.how == store::Placement::hardlink);
  CHECK(d.lstat("/opt/tk/lib/x.so")->links == 2);
  CHECK(st.check(k_key, false).empty());

  // Written in place through the installed name: the store's bytes changed too, and it says so;
  // an edit that kept size and mtime only to a check by content.
  d.overwrite("/opt/tk/lib/x.so", "9876543210", true);
  CHECK(d.read(st.tree(k_key) + "/lib/x.so") == "9876543210");
  CHECK(st.check(k_key, false).empty());
  CHECK(st.check(k_key, true).find("~lib/x.so") != std::string::npos);
  d.overwrite("/opt/tk/bin/nvcc", "edited");
  CHECK(st.check(k_key, false).find("~bin/nvcc") != std::string::npos);

  // Added, removed.
  d.write(st.tree(k_key) + "/planted.so", "trojan", 0644);
  CHECK(st.check(k_key, false).find("+planted.so") != std::string::npos);
  d.remove(st.tree(k_key) + "/planted.so");
  d.remove(st.tree(k_key) + "/bin/nvcc");
  CHECK(st.check(k_key, false).find("-bin/nvcc") != std::string::npos);
  REQUIRE(st.evict(k_key).empty());
  CHECK_FALSE(st.has_tree(k_key));
  CHECK(st.check(k_key, false) == "not in the store");
}

TEST_CASE("store: materialize places links, keeps modes and mtimes, and prefers reflinks") {
  disk::FakeDisk d;
  store::Store st(d, "/s");
  REQUIRE(st.open().empty());
  auto made = st.add_tree(k_key, {}, [&](const std::string& dir, store::TreeManifest*) {
    store::Status s = d.make_dir(dir + "/lib", 0755);
    s += d.write(dir + "/lib/libx.so.1.2", "x", 0755);
    return s + d.symlink("libx.so.1.2", dir + "/lib/libx.so.1");
  });
  REQUIRE(made == "");
  auto when = d.lstat(st.tree(k_key) + "/lib/libx.so.1.2")->mtime_ns;
  auto m = store::materialize(st, k_key, "/a");
  REQUIRE(m.error.empty());
  CHECK(d.read_link("/a/lib/libx.so.1") == "libx.so.1.2");
  CHECK(d.lstat("/a/lib/libx.so.1.2")->mode == 0755);

  d.set_reflinks(true);
  auto r = store::materialize(st, k_key, "/b");
  REQUIRE(r.error.empty());
  CHECK(r.how == store::Placement::reflink);
  CHECK(d.lstat("/b/lib/libx.so.1.2")->links == 1); // its own file: a write stays there
  CHECK(d.lstat("/b/lib/libx.so.1.2")->mtime_ns == when);
  CHECK(d.lstat("/b/lib/libx.so.1.2")->mode == 0755);

  // A name already taken is an error, unless the caller lets the later entry win (wheels).
  auto clash = store::materialize(st, k_key, "/a");
  CHECK(clash.error.find("something is already there") != std::string::npos);
  CHECK(store::materialize(st, k_key, "/a", {}, true).error.empty());
  // Mapped: site-packages/ to an environment's own.
  auto mapped = store::materialize(st, k_key, "/env", [](const std::string& rel) {
    return rel == "lib" ? std::string("lib64") : "lib64" + rel.substr(3);
  });
  REQUIRE(mapped.error.empty());
  CHECK(d.read("/env/lib64/libx.so.1.2") == "x");
}

TEST_CASE("store: gc frees what no root's kept generation names, and only that") {
  disk::FakeDisk d;
  store::Store st(d, "/s");
  REQUIRE(st.open().empty());
  REQUIRE(st.add_tree(k_key, {}, files({{"a", "1"}}, d)).empty());
  REQUIRE(st.add_tree(k_other, {}, files({{"b", "22"}}, d)).empty());
  d.write(st.artifact(std::string(64, 'c')), "archive", 0644);
  d.write(st.artifact(std::string(64, 'd')), "wheel", 0644);
  d.write(st.artifact_name(std::string(64, 'd')), "x.whl", 0644);
  d.make_dir(st.verify_dir() + "/build", 0755);
  store::Live live;
  live.trees.insert(k_key);
  live.artifacts.insert(std::string(64, 'c'));
  auto dry = store::collect(st, live, true);
  CHECK(dry.trees == 1);
  CHECK(dry.artifacts == 1);
  CHECK(dry.bytes == 2 + 5 + 5);
  CHECK(st.has_tree(k_other));
  auto done = store::collect(st, live, false);
  CHECK(done.errors.empty());
  CHECK(st.has_tree(k_key));
  CHECK_FALSE(st.has_tree(k_other));
  CHECK_FALSE(disk::exists(d, st.record_file(k_other)));
  CHECK(disk::exists(d, st.artifact(std::string(64, 'c'))));
  CHECK_FALSE(disk::exists(d, st.artifact(std::string(64, 'd'))));
  CHECK_FALSE(disk::exists(d, st.artifact_name(std::string(64, 'd'))));
  CHECK(d.list(st.verify_dir()).empty());

  REQUIRE(st.add_root("/r1/var/lib/gpucfg").empty());
  REQUIRE(st.add_root("/r1/var/lib/gpucfg").empty());
  REQUIRE(st.add_root("/r2/var/lib/gpucfg").empty());
  CHECK(st.roots().size() == 2);
  REQUIRE(st.drop_root("/r1/var/lib/gpucfg").empty());
  CHECK(st.roots() == std::vector<std::string>{"/r2/var/lib/gpucfg"});
}

TEST_CASE("store: a cache of the layout before the store is moved into artifacts/ once") {
  disk::FakeDisk d;
  std::string sha(64, 'e');
  d.put_file("/c/sha256/" + sha, "bytes");
  d.put_file("/c/names/" + sha, "x-1.0-py3-none-any.whl");
  d.put_file("/c/unpacked/" + sha + "/lib/libcudnn.so", "trusted by its name");
  store::Store st(d, "/c");
  REQUIRE(st.open().empty());
  CHECK(d.read(st.artifact(sha)) == "bytes");
  CHECK(d.read(st.artifact_name(sha)) == "x-1.0-py3-none-any.whl");
  CHECK_FALSE(disk::exists(d, "/c/unpacked"));
  CHECK_FALSE(disk::exists(d, "/c/sha256"));
  d.put_file("/c/VERSION", "gpucfg store 9\n");
  CHECK(st.open().find("another layout") != std::string::npos);
}

TEST_CASE("store keys: the same inputs name the same entry; any change names another") {
  source::Artifact a;
  a.name = "cuda_nvcc 12.1";
  a.sha256 = std::string(64, '1');
  a.layout = "redist";
  std::string k = store::archives_key({a}, "", "x86_64-linux");
  CHECK(k.size() == 64);
  CHECK(store::archives_key({a}, "", "x86_64-linux") == k);
  source::Artifact b = a;
  b.sha256 = std::string(64, '2');
  CHECK(store::archives_key({b}, "", "x86_64-linux") != k);        // a new pin
  CHECK(store::archives_key({a}, "{}", "x86_64-linux") != k);      // another version.json
  CHECK(store::archives_key({a}, "", "sbsa-linux") != k);          // another architecture
  CHECK(store::archives_key({a, b}, "", "x86_64-linux") != k);     // another archive
  a.name = "renamed";
  CHECK(store::archives_key({a}, "", "x86_64-linux") == k);        // names are for people
  a.sha256.clear();
  CHECK(store::archives_key({a}, "", "x86_64-linux").empty());     // unpinned: not known yet
  std::vector<store::ListedFile> listing = {{"bin/nvcc", "file", "", 10, 5, 0755}};
  std::string f = store::folder_key(listing);
  listing[0].mtime_ns = 6;
  CHECK(store::folder_key(listing) != f);
  CHECK(store::wheel_key(b, "cpython-311") != store::wheel_key(b, "cpython-312"));
}

TEST_CASE("disk paths: parents and leaves of POSIX and Windows paths; plain absolute paths") {
  CHECK(disk::parent_of("/opt/tk/bin") == "/opt/tk");
  CHECK(disk::parent_of("/opt") == "/");
  CHECK(disk::parent_of("C:\\Program Files\\CUDA\\v11.2") == "C:\\Program Files\\CUDA");
  CHECK(disk::parent_of("C:\\Program Files") == "C:\\");
  CHECK(disk::leaf_of("C:\\Program Files\\CUDA\\v11.2") == "v11.2");
  CHECK(disk::leaf_of("/opt/tk") == "tk");
  CHECK(util::plain_absolute_path("/opt/tk"));
  CHECK(util::plain_absolute_path("C:\\Program Files\\CUDA"));
  CHECK_FALSE(util::plain_absolute_path("/opt/../etc"));
  CHECK_FALSE(util::plain_absolute_path("/opt//tk"));
  CHECK_FALSE(util::plain_absolute_path("/opt/./tk"));
  CHECK_FALSE(util::plain_absolute_path("opt/tk"));
  CHECK_FALSE(util::plain_absolute_path("C:\\a\\..\\b"));
}
