// The pure half of framework environments: wheel names and tags, lock selection per target,
// where a wheel's files go, the index page a wheel is found on, and launcher scripts.
#include "disk/real_disk.hpp"
#include "helpers.hpp"
#include "pyenv/build.hpp"
#include "pyenv/lock.hpp"
#include "pyenv/windows.hpp"
#include "source/fetch.hpp"
#include "source/layout.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

using namespace gpucfg;
namespace fs = std::filesystem;

namespace {
util::Version py(const char* v) {
  return *util::Version::parse(v);
}
bool runs(const char* file, const char* platform, const char* python) {
  auto w = pyenv::parse_wheel_name(file);
  REQUIRE(w);
  return pyenv::runs_on(*w, platform, py(python));
}
manifest::LockedWheel locked(const char* wheel, std::vector<std::string> targets = {}) {
  return {wheel, std::string(64, 'a'), "", std::move(targets), {}};
}
} // namespace

TEST_CASE("wheel names: build tags, compressed tag sets, and what is not a wheel") {
  auto w = pyenv::parse_wheel_name("torch-2.10.0-3-cp311-cp311-manylinux_2_28_x86_64.whl");
  REQUIRE(w);
  CHECK(w->name == "torch");
  CHECK(w->version == "2.10.0");
  CHECK(w->python == std::vector<std::string>{"cp311"});
  auto six = pyenv::parse_wheel_name("six-1.17.0-py2.py3-none-any.whl");
  REQUIRE(six);
  CHECK(six->python == std::vector<std::string>{"py2", "py3"});
  CHECK_FALSE(pyenv::parse_wheel_name("tensorflow-2.16.1.tar.gz"));
  CHECK_FALSE(pyenv::parse_wheel_name("bad--py3-none-any.whl"));
}

TEST_CASE("tags: CPython version, the stable ABI, manylinux and Windows") {
  CHECK(runs("numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
             "linux-x86_64", "3.11"));
  CHECK_FALSE(runs("numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.whl", "linux-x86_64", "3.12"));
  CHECK(runs("protobuf-4.25.9-cp37-abi3-manylinux2014_x86_64.whl", "linux-x86_64", "3.12"));
  CHECK_FALSE(runs("protobuf-4.25.9-cp37-abi3-manylinux2014_x86_64.whl", "linux-x86_64", "3.6"));
  CHECK(runs("six-1.17.0-py2.py3-none-any.whl", "windows-x86_64", "3.9"));
  CHECK(runs("tensorflow-2.9.0-cp37-cp37m-manylinux2014_x86_64.whl", "linux-x86_64", "3.7"));
  CHECK_FALSE(runs("x-1.0-cp38-cp38m-manylinux2014_x86_64.whl", "linux-x86_64", "3.8"));
  CHECK_FALSE(runs("numpy-2.0.0-cp311-cp311-win_amd64.whl", "linux-x86_64", "3.11"));
  CHECK(runs("numpy-2.0.0-cp311-cp311-win_amd64.whl", "windows-x86_64", "3.11"));
  CHECK_FALSE(runs("x-1.0-cp311-cp311-manylinux2014_aarch64.whl", "linux-x86_64", "3.11"));
  CHECK(runs("x-1.0-cp311-cp311-manylinux2014_aarch64.whl", "linux-sbsa", "3.11"));
}

TEST_CASE("lock selection: named targets exactly, untargeted wheels by tags, one per project") {
  std::vector<manifest::LockedWheel> lock = {
      locked("absl_py-2.3.1-py3-none-any.whl", {"linux-x86_64/3.9"}),
      locked("absl_py-2.5.1-py3-none-any.whl", {"linux-x86_64/3.11"}),
      locked("numpy-1.26.4-cp311-cp311-manylinux2014_x86_64.whl"),
      locked("numpy-1.26.4-cp39-cp39-manylinux2014_x86_64.whl")};
  auto s = pyenv::select(lock, "linux-x86_64", py("3.11"));
  CHECK(s.errors.empty());
  REQUIRE(s.wheels.size() == 2);
  CHECK(s.wheels[0].wheel == "absl_py-2.5.1-py3-none-any.whl");
  CHECK(pyenv::select(lock, "linux-x86_64", py("3.10")).wheels.empty());
  CHECK(pyenv::locked_pythons(lock, "linux-x86_64") ==
        std::vector<util::Version>{py("3.11"), py("3.9")});

  lock.push_back(locked("Absl.Py-9.0-py3-none-any.whl", {"linux-x86_64/3.11"}));
  s = pyenv::select(lock, "linux-x86_64", py("3.11"));
  REQUIRE(s.errors.size() == 1);
  CHECK(s.errors[0].find("two wheels of absl-py") != std::string::npos);

  // A wheel locked for a target its tags cannot run on is a broken lock, not a skipped line.
  std::vector<manifest::LockedWheel> wrong = {
      locked("numpy-1.26.4-cp39-cp39-manylinux2014_x86_64.whl", {"linux-x86_64/3.11"})};
  CHECK(pyenv::select(wrong, "linux-x86_64", py("3.11")).errors.size() == 1);
}

TEST_CASE("sdists: their names, selected for any target, one per project with the wheels") {
  auto n = pyenv::parse_sdist_name("termcolor-1.1.0.tar.gz");
  REQUIRE(n);
  CHECK(n->name == "termcolor");
  CHECK(n->version == "1.1.0");
  CHECK(pyenv::parse_sdist_name("google-pasta-0.2.0.zip")->name == "google-pasta");
  CHECK_FALSE(pyenv::parse_sdist_name("termcolor.tar.gz"));
  CHECK_FALSE(pyenv::parse_sdist_name("termcolor-1.1.0-py3-none-any.whl"));
  CHECK_FALSE(pyenv::parse_sdist_name("../termcolor-1.1.0.tar.gz"));
  std::vector<manifest::LockedWheel> lock = {
      locked("termcolor-1.1.0.tar.gz"), locked("numpy-1.26.4-cp39-cp39-manylinux2014_x86_64.whl")};
  lock[0].build = {locked("setuptools-65.5.0-py3-none-any.whl")};
  CHECK(lock[0].sdist());
  CHECK_FALSE(lock[1].sdist());
  auto s = pyenv::select(lock, "linux-x86_64", py("3.9"));
  CHECK(s.errors.empty());
  CHECK(s.wheels.size() == 2);
  CHECK(pyenv::select(lock, "windows-x86_64", py("3.8")).wheels.size() == 1); // the sdist only
  // A wheel and an sdist of one project for one target is a broken lock.
  lock.push_back(locked("termcolor-2.4.0-py3-none-any.whl"));
  CHECK(pyenv::select(lock, "linux-x86_64", py("3.9")).errors.size() == 1);
  // What an sdist is built with names the environment too.
  pyenv::Interpreter i{"/usr/bin/python3.9", py("3.9.18"), "/usr/bin/python3.9"};
  auto with = pyenv::digest(i, {lock[0]}, {});
  lock[0].build[0].sha256 = std::string(64, 'b');
  CHECK(pyenv::digest(i, {lock[0]}, {}) != with);
}

TEST_CASE("a wheel's files in an environment, per the binary distribution format") {
  const std::string site = "lib/python3.11/site-packages";
  using source::map_python_entry;
  CHECK(map_python_entry("six.py", site) == site + "/six.py");
  CHECK(map_python_entry("tf-2.16.1.dist-info/RECORD", site) ==
        site + "/tf-2.16.1.dist-info/RECORD");
  CHECK(map_python_entry("tensorflow-2.16.1.data/purelib/tensorflow/__init__.py", site) ==
        site + "/tensorflow/__init__.py");
  CHECK(map_python_entry("x-1.0.data/platlib/x.so", site) == site + "/x.so");
  CHECK(map_python_entry("x-1.0.data/scripts/tool", site) == "bin/tool");
  CHECK(map_python_entry("x-1.0.data/data/share/man/x.1", site) == "share/man/x.1");
  CHECK(map_python_entry("x-1.0.data/headers/x.h", site) == "include/site/python3.11/x/x.h");
  CHECK(map_python_entry("x-1.0.data/unknown/y", site).empty());
}

TEST_CASE("a simple index page: the file's link, absolute, without its hash fragment") {
  std::string page =
      R"(<a href="../../packages/ab/six-1.17.0-py2.py3-none-any.whl#sha256=42">six</a>
<a href='https://files.example/x/six-1.16.0-py2.py3-none-any.whl'>old</a>)";
  CHECK(source::index_file_url(page, "https://idx.example/simple/six/",
                               "six-1.17.0-py2.py3-none-any.whl") ==
        "https://idx.example/simple/six/../../packages/ab/six-1.17.0-py2.py3-none-any.whl");
  CHECK(source::index_file_url(page, "https://idx.example/simple/six/",
                               "six-1.16.0-py2.py3-none-any.whl") ==
        "https://files.example/x/six-1.16.0-py2.py3-none-any.whl");
  CHECK(source::index_file_url("<a href=\"/p/six-2-py3-none-any.whl\">", "https://i.example/s/six/",
                               "six-2-py3-none-any.whl") ==
        "https://i.example/p/six-2-py3-none-any.whl");
  CHECK(source::index_file_url(page, "https://idx.example/simple/six/", "six-9-py3-none-any.whl")
            .empty());
  CHECK(source::pep503_name("Typing_Extensions") == "typing-extensions");
  CHECK(source::pep503_name("zope..interface") == "zope-interface");
}

TEST_CASE("entry points and the launchers pip writes for them") {
  auto eps = pyenv::entry_points("[console_scripts]\ntensorboard = tensorboard.main:run_main\n"
                                 "[tensorflow.plugins]\nnot = a:script\n[gui_scripts]\n"
                                 "g = pkg.mod:Cls.start [extra]\n");
  REQUIRE(eps.size() == 2);
  CHECK(eps[0] == std::pair<std::string, std::string>{"tensorboard", "tensorboard.main:run_main"});
  CHECK(eps[1].second == "pkg.mod:Cls.start");
  std::string l = pyenv::launcher("/opt/env/bin/python", "pkg.mod:Cls.start");
  CHECK(l.rfind("#!/opt/env/bin/python\n", 0) == 0);
  CHECK(l.find("from pkg.mod import Cls\n") != std::string::npos);
  CHECK(l.find("sys.exit(Cls.start())") != std::string::npos);
}

TEST_CASE("python.interpreter: any name of a found interpreter, the file it is included") {
  // facts lists each interpreter once, by the name it was found as (/usr/bin/python3); the
  // manifest may name the file itself (/usr/bin/python3.11).
  std::vector<pyenv::Interpreter> found = {
      {"/usr/bin/python3", py("3.11.2"), "/usr/bin/python3.11"},
      {"/opt/py/bin/python3", py("3.12.1"), "/opt/py/bin/python3.12"}};
  for (const char* name : {"/usr/bin/python3", "/usr/bin/python3.11"}) {
    auto r = test::decode_text(
        test::head() + "python:\n  env: /opt/envs/t\n  adopt: true\n  interpreter: " + name + "\n");
    INFO(r.text());
    REQUIRE(r.stack);
    auto c = pyenv::choose_interpreter(*r.stack, "linux-x86_64", found);
    INFO(c.why);
    REQUIRE(c.chosen);
    CHECK(c.chosen->path == "/usr/bin/python3");
  }
  auto r = test::decode_text(
      test::head() +
      "python:\n  env: /opt/envs/t\n  adopt: true\n  interpreter: /usr/bin/python3.9\n");
  REQUIRE(r.stack);
  auto c = pyenv::choose_interpreter(*r.stack, "linux-x86_64", found);
  CHECK_FALSE(c.chosen);
  CHECK(c.why.find("not a Python found here") != std::string::npos);
}

TEST_CASE("Windows environments: pyvenv.cfg, the embeddable base's path file made absolute") {
  CHECK(pyenv::pyvenv_cfg("C:/gpucfg/python/3.9", "3.9.13") ==
        "home = C:\\gpucfg\\python\\3.9\ninclude-system-site-packages = false\nversion = 3.9.13\n");
  // python.org's embeddable python39._pth: the zip, the folder itself, site commented out.
  std::string base = "python39.zip\r\n.\r\n\r\n# Uncomment to run site.main() automatically\r\n"
                     "#import site\r\nD:\\shared\\lib\r\n";
  CHECK(pyenv::environment_pth(base, "C:\\py39") ==
        "C:\\py39\\python39.zip\nC:\\py39\nD:\\shared\\lib\nimport site\n");
  CHECK(pyenv::environment_pth("import site\n", "C:\\py39") == "import site\n");
  CHECK(pyenv::copied_into_scripts("python.exe"));
  CHECK(pyenv::copied_into_scripts("PYTHON39.DLL"));
  CHECK(pyenv::copied_into_scripts("vcruntime140_1.dll"));
  CHECK_FALSE(pyenv::copied_into_scripts("python39.zip"));
  CHECK_FALSE(pyenv::copied_into_scripts("libcrypto-1_1.dll")); // found beside _ssl.pyd in home
  std::string s = pyenv::entry_script("pkg.mod:Cls.start");
  CHECK(s.find("#!") == std::string::npos); // the launcher names the interpreter, not the script
  CHECK(s.find("from pkg.mod import Cls\n") != std::string::npos);
  CHECK(s.find("(-script\\.pyw?|\\.exe)?$") != std::string::npos);
}

TEST_CASE("Windows environments: the skeleton copies the programs and writes its own path file") {
  test::TempDir tmp;
  std::string home = tmp.path().string() + "/py39", env = tmp.path().string() + "/env";
  fs::create_directories(home);
  for (const char* f : {"python.exe", "pythonw.exe", "python39.dll", "python3.dll",
                        "vcruntime140.dll", "python39.zip", "_ssl.pyd", "libssl-1_1.dll"})
    std::ofstream(home + "/" + f) << f;
  std::ofstream(home + "/python39._pth") << "python39.zip\n.\n#import site\n";
  disk::Disk& d = disk::real_disk();
  REQUIRE(pyenv::make_windows_skeleton(d, env, home + "/python.exe", "3.9.13") == "");
  CHECK(d.read(env + "/Scripts/python39.dll") == std::optional<std::string>("python39.dll"));
  CHECK(d.lstat(env + "/Scripts/pythonw.exe"));
  CHECK_FALSE(d.lstat(env + "/Scripts/python39.zip"));
  CHECK_FALSE(d.lstat(env + "/Scripts/_ssl.pyd"));
  CHECK(fs::is_directory(env + "/Lib/site-packages"));
  std::string h = pyenv::windows_path(home);
  CHECK(d.read(env + "/Scripts/python39._pth") ==
        std::optional<std::string>(h + "\\python39.zip\n" + h + "\nimport site\n"));
  CHECK(d.read(env + "/pyvenv.cfg")->find("home = " + h + "\n") == 0);
  // A base without python.exe is no interpreter to copy.
  fs::remove(home + "/python.exe");
  CHECK(
      pyenv::make_windows_skeleton(d, tmp.path().string() + "/env2", home + "/python.exe", "3.9.13")
          .find("no python.exe") != std::string::npos);
}
