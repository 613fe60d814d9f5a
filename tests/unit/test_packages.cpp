// System packages (issue #29): Debian's version order and ranges, apt's and dpkg's answers read
// from captured output, and the planner and executor over apt and dpkg in memory
// (packages::FakeManager): install with the dependencies apt adds, hold, upgrade, downgrade, a
// maintainer script that fails, rollback, and a kill between the package run and the commit.
#include "exec/journal.hpp"
#include "fake_machine.hpp"
#include "packages/apt.hpp"
#include "packages/version.hpp"
#include "probe/parsers.hpp"

#include <catch2/catch.hpp>

using namespace gpucfg;
using packages::compare_versions;
using test::decode_text;
using test::FakeMachine;
using test::head;

TEST_CASE("packages: versions order as dpkg orders them") {
  // Each pair: a < b (dpkg --compare-versions a lt b).
  std::vector<std::pair<std::string, std::string>> less = {
      {"1.0", "1.1"},     {"1.0~rc1", "1.0"},  {"1.0", "1.0a"},
      {"1.0a", "1.0+1"},  {"9", "10"},         {"2.0", "1:0.9"},
      {"1.0-1", "1.0-2"}, {"1.0-9", "1.0-10"}, {"535.216.01-1~deb12u1", "535.216.01-1"},
      {"1.0~~", "1.0~"},  {"0.9", "1.0-0"},    {"12.2.0-14", "12.2.0-14+deb12u1"},
  };
  for (const auto& [a, b] : less) {
    INFO(a << " < " << b);
    CHECK(compare_versions(a, b) < 0);
    CHECK(compare_versions(b, a) > 0);
  }
  CHECK(compare_versions("1.0", "1.0-0") == 0); // no revision is revision 0
  CHECK(compare_versions("0:1.0", "1.0") == 0);
  CHECK(compare_versions("1.00", "1.0") == 0);
}

TEST_CASE("packages: ranges are exact versions, prefixes or clauses that all hold") {
  std::string error;
  auto exact = packages::VersionSpec::parse("2.0-1", &error);
  REQUIRE(exact);
  CHECK(exact->exact() == "2.0-1");
  CHECK(exact->matches("2.0-1"));
  CHECK_FALSE(exact->matches("2.0-2"));
  auto prefix = packages::VersionSpec::parse("535.*", &error);
  REQUIRE(prefix);
  CHECK(prefix->matches("535.216.01-1~deb12u1"));
  CHECK_FALSE(prefix->matches("5350.1"));
  CHECK_FALSE(prefix->matches("550.54.15-1"));
  auto range = packages::VersionSpec::parse(">= 535, << 536", &error);
  REQUIRE(range);
  CHECK(range->matches("535.216.01-1"));
  CHECK_FALSE(range->matches("536"));
  CHECK_FALSE(range->matches("530.30.02-1"));
  CHECK(packages::VersionSpec::parse("", &error)->any());
  CHECK_FALSE(packages::VersionSpec::parse(">= x", &error));
  CHECK(error.find("starts with a digit") != std::string::npos);
  CHECK_FALSE(packages::VersionSpec::parse("1.0 <<", &error));
}

TEST_CASE("packages: dpkg's status, apt-cache madison and apt-get -s are read as they print") {
  auto st = packages::parse_status("Package: gpc-demo\nStatus: hold ok installed\nVersion: 2.0\n\n"
                                   "Package: gpc-bad\nStatus: install ok half-configured\n"
                                   "Version: 1.0\n\nPackage: old\nStatus: deinstall ok "
                                   "config-files\nVersion: 0.1\n\nPackage: gone\nStatus: purge ok "
                                   "not-installed\n");
  REQUIRE(st.size() == 3);
  CHECK(st["gpc-demo"].hold);
  CHECK(st["gpc-demo"].healthy());
  CHECK_FALSE(st["gpc-bad"].healthy());
  CHECK(st["gpc-bad"].present());
  CHECK_FALSE(st["old"].present());
  // Captured from apt 2.6.1 against a file: repository.
  auto offered =
      packages::parse_madison("  gpc-demo |        2.0 | file:/tmp/aptx/repo ./ Packages\n"
                              "  gpc-demo |        1.0 | file:/tmp/aptx/repo ./ Packages\n"
                              "  gpc-demo |        2.0 | file:/tmp/aptx/repo ./ Sources\n"
                              "   gpc-lib |        1.0 | file:/tmp/aptx/repo ./ Packages\n");
  CHECK(offered["gpc-demo"] == std::vector<std::string>{"2.0", "1.0"});
  CHECK(offered["gpc-lib"] == std::vector<std::string>{"1.0"});
  auto changes = packages::parse_simulation(
      "Reading package lists...\nThe following held packages will be changed:\n  gpc-demo\n"
      "Inst gpc-lib (1.0 localhost [all])\nInst gpc-demo [1.0] (2.0 localhost [all])\n"
      "Remv gpc-old [0.3]\nConf gpc-lib (1.0 localhost [all])\n"
      "Conf gpc-demo (2.0 localhost [all])\n");
  REQUIRE(changes.size() == 3);
  CHECK(changes[0] == packages::Change{"gpc-lib", "", "1.0"});
  CHECK(changes[1] == packages::Change{"gpc-demo", "1.0", "2.0"});
  CHECK(changes[2] == packages::Change{"gpc-old", "0.3", ""});
  CHECK(packages::describe(changes[1]) == "upgrade gpc-demo 1.0 -> 2.0");
  CHECK(packages::describe({"x", "2.0", "1.0"}) == "downgrade x 2.0 -> 1.0");
  std::string words = packages::last_words(
      "Setting up gpc-lib (1.0) ...\nSetting up gpc-bad (1.0) ...\nfailing on purpose\n"
      "dpkg: error processing package gpc-bad (--configure):\n installed gpc-bad package "
      "post-installation script subprocess returned error exit status 1\nErrors were "
      "encountered while processing:\n gpc-bad\nE: Sub-process /usr/bin/dpkg returned an error "
      "code (1)\n");
  CHECK(words.find("failing on purpose; dpkg: error processing package gpc-bad") == 0);
  CHECK(words.find("Setting up gpc-lib") == std::string::npos);
}

TEST_CASE("packages: a bad entry is refused at its line") {
  auto r = decode_text(head() + "packages:\n  - name: Bad_Name\n  - name: ok-pkg\n    version: "
                                "'>= x'\n  - ok-pkg\n  - name: gone\n    absent: true\n    "
                                "version: '1.0'\n");
  CHECK_FALSE(r.stack);
  CHECK(test::mentions(r, "m.yaml:5:11"));
  CHECK(test::mentions(r, "'Bad_Name' is not a Debian package name"));
  CHECK(test::mentions(r, "packages[1].version '>= x'"));
  CHECK(test::mentions(r, "package 'ok-pkg' is listed twice"));
  CHECK(test::mentions(r, "an absent package takes no version and no hold"));
}

namespace {

manifest::Stack packages_stack(const std::string& list) {
  auto r = decode_text(head("pk") + "requires: {platforms: [linux-x86_64]}\npackages:\n" + list);
  if (!r.stack) FAIL(r.text());
  return *r.stack;
}

// An archive as the CI test's local repository has it: gpc-demo 1.0 and 2.0 need gpc-lib;
// gpc-bad's configure step fails.
void archive(packages::FakeManager& f) {
  f.archive["gpc-lib"] = {{"1.0", {}, false}};
  f.archive["gpc-demo"] = {{"1.0", {"gpc-lib"}, false}, {"2.0", {"gpc-lib"}, false}};
  f.archive["gpc-bad"] = {{"1.0", {}, true}};
}

std::vector<std::string> summaries(const plan::Plan& p) {
  std::vector<std::string> out;
  for (const auto& a : p.actions)
    out.push_back(a.path + ": " + a.summary);
  return out;
}

} // namespace

TEST_CASE("packages: install names the dependency apt adds; a second plan is empty") {
  FakeMachine m;
  archive(m.packages);
  auto s = packages_stack("  - {name: gpc-demo, version: '2.0', hold: true}\n");
  auto p = m.plan(s);
  REQUIRE(p.errors.empty());
  CHECK(summaries(p) == std::vector<std::string>{"pkg:gpc-demo: install gpc-demo 2.0, held",
                                                 "pkg:gpc-lib: install gpc-lib 1.0"});
  REQUIRE(m.apply(p).ok);
  CHECK(m.packages.now["gpc-demo"].version == "2.0");
  CHECK(m.packages.now["gpc-demo"].hold);
  CHECK(m.packages.now.count("gpc-lib"));
  auto again = m.plan(s);
  CHECK(again.actions.empty());
  // Both are the generation's: rollback to before gpucfg takes both away.
  auto back = exec::rollback_plan(m.machine, m.state, 0);
  REQUIRE(back.errors.empty());
  CHECK(back.actions.size() == 2);
  REQUIRE(m.apply(back).ok);
  CHECK(m.packages.now.empty());
}

TEST_CASE("packages: upgrade, downgrade, hold and release, each planned with its reason") {
  FakeMachine m;
  archive(m.packages);
  m.packages.now["gpc-lib"] = {"1.0", "installed", false};
  m.packages.now["gpc-demo"] = {"1.0", "installed", false};
  auto up = m.plan(packages_stack("  - {name: gpc-demo, version: '>= 2.0'}\n"));
  REQUIRE(up.actions.size() == 1);
  CHECK(up.actions[0].summary == "upgrade gpc-demo 1.0 -> 2.0");
  CHECK(up.actions[0].reason == "1.0 is not '>= 2.0'");
  REQUIRE(m.apply(up).ok);
  auto held = m.plan(packages_stack("  - {name: gpc-demo, hold: true}\n"));
  REQUIRE(held.actions.size() == 1);
  CHECK(held.actions[0].summary == "hold gpc-demo at 2.0");
  REQUIRE(m.apply(held).ok);
  CHECK(m.packages.now["gpc-demo"].hold);
  auto down = m.plan(packages_stack("  - {name: gpc-demo, version: '1.*', hold: false}\n"));
  REQUIRE(down.actions.size() == 1);
  CHECK(down.actions[0].summary == "downgrade gpc-demo 2.0 -> 1.0, hold released");
  REQUIRE(m.apply(down).ok);
  CHECK(m.packages.now["gpc-demo"].version == "1.0");
  CHECK_FALSE(m.packages.now["gpc-demo"].hold);
  // A version the lists do not have is a plan error that names what they have.
  auto none = m.plan(packages_stack("  - {name: gpc-demo, version: '3.0'}\n"));
  REQUIRE(none.errors.size() == 1);
  CHECK(none.errors[0].find("they have: 2.0, 1.0") != std::string::npos);
  // Rollback walks back through the generations: 2.0 held, then 2.0, then 1.0 as it was.
  REQUIRE(m.apply(exec::rollback_plan(m.machine, m.state, 2)).ok);
  CHECK(m.packages.now["gpc-demo"].version == "2.0");
  CHECK(m.packages.now["gpc-demo"].hold);
  REQUIRE(m.apply(exec::rollback_plan(m.machine, m.state, 0)).ok);
  CHECK(m.packages.now["gpc-demo"].version == "1.0");
  CHECK_FALSE(m.packages.now["gpc-demo"].hold);
  CHECK(m.packages.now.count("gpc-lib")); // the machine's own, before gpucfg: never touched
}

TEST_CASE("packages: a maintainer script that fails stops the transaction, undoes the rest and "
          "writes down what happened") {
  FakeMachine m;
  archive(m.packages);
  m.packages.now["gpc-demo"] = {"1.0", "installed", false};
  m.packages.now["gpc-lib"] = {"1.0", "installed", false};
  auto s = packages_stack("  - {name: gpc-demo, version: '2.0'}\n  - gpc-bad\nfiles:\n  - alias: "
                          "/opt/x/link\n    target: /opt/x/real\n    why: test\n");
  auto p = m.plan(s);
  REQUIRE(p.errors.empty());
  // Packages first: the files may need them.
  REQUIRE(p.actions.size() == 3);
  CHECK(p.actions[0].op == plan::Op::package);
  CHECK(p.actions[1].op == plan::Op::package);
  auto r = exec::execute(m.machine, m.state, p);
  REQUIRE_FALSE(r.ok);
  CHECK(r.error.find("gpc-bad 1.0: half-configured") != std::string::npos);
  CHECK(r.error.find("every change was undone") != std::string::npos);
  CHECK(m.packages.now["gpc-demo"].version == "1.0");
  CHECK_FALSE(m.packages.now.count("gpc-bad"));
  CHECK_FALSE(disk::exists(m.disk, "/opt/x/link"));
  auto written = m.disk.read(m.state.failure_file());
  REQUIRE(written);
  CHECK(written->find("half-configured") != std::string::npos);
  CHECK(m.state.current().number == 0);
}

TEST_CASE("packages: a rollback to a version the archive no longer has says so and leaves it") {
  FakeMachine m;
  archive(m.packages);
  REQUIRE(m.apply(m.plan(packages_stack("  - {name: gpc-demo, version: '1.0'}\n"))).ok);
  REQUIRE(m.apply(m.plan(packages_stack("  - {name: gpc-demo, version: '2.0'}\n"))).ok);
  m.packages.archive["gpc-demo"].erase(m.packages.archive["gpc-demo"].begin()); // 1.0 is gone
  auto back = exec::rollback_plan(m.machine, m.state, 1);
  CHECK(back.actions.empty());
  REQUIRE(back.warnings.size() == 1);
  CHECK(back.warnings[0].find("no longer have (they have: 2.0); it stays at 2.0") !=
        std::string::npos);
}

TEST_CASE("packages: killed after any change, the next gpucfg puts the packages back too") {
  int undone_after_run = 0, k = 1;
  for (; k < 100; ++k) {
    FakeMachine m;
    archive(m.packages);
    auto s = packages_stack("  - gpc-demo\nfiles:\n  - alias: /opt/x/link\n    target: "
                            "/opt/x/real\n    why: test\n");
    auto p = m.plan(s);
    m.disk.stop_at(k);
    auto r = m.apply(p);
    m.disk.stop_at(0); // the next gpucfg starts
    if (r.ok) break;
    INFO("killed after change " << k);
    bool ran = m.packages.applied > 0 && m.packages.now.count("gpc-demo");
    if (auto text = m.disk.read(m.state.journal_file()); text && ran) {
      std::string why;
      auto j = exec::parse_journal(*text, &why);
      REQUIRE(j);
      CHECK(j->steps.front().kind == exec::StepKind::packages);
      ++undone_after_run;
    }
    exec::recover(m.machine, m.state);
    if (m.state.current().number == 0) {
      CHECK(m.packages.now.empty());
      CHECK_FALSE(disk::exists(m.disk, "/opt/x/link"));
    } else {
      CHECK(m.packages.now.count("gpc-demo"));
    }
  }
  CHECK(k > 2);
  CHECK(undone_after_run > 0); // some kill fell between the package run and the commit
}

TEST_CASE(
    "packages: the driver a plan's packages install is judged; facts say when a reboot is due") {
  std::string status =
      "Package: nvidia-kernel-dkms\nStatus: install ok installed\nVersion: "
      "535.216.01-1~deb12u1\n\nPackage: nvidia-driver\nStatus: hold ok installed\n"
      "Version: 535.216.01-1~deb12u1\n\nPackage: nvidia-settings\nStatus: install ok "
      "installed\nVersion: 535.171.04-1\n\nPackage: libnvidia-compute-550\nStatus: "
      "deinstall ok config-files\nVersion: 550.54.15-0ubuntu1\n";
  auto found = probe::parse_driver_packages(status);
  REQUIRE(found.size() == 2); // nvidia-settings is no driver; config-files is not installed
  CHECK(found[0][0] == "nvidia-kernel-dkms");
  CHECK(probe::packaged_driver_version(found) == "535.216.01");
  CHECK(probe::parse_dpkg_status(status).count("nvidia-driver")); // held is installed too

  FakeMachine m;
  m.packages.archive["nvidia-driver"] = {{"535.216.01-1~deb12u1", {}, false},
                                         {"550.54.15-1", {}, false}};
  auto s = [](const std::string& range) {
    auto r = decode_text(head("drv") + "requires: {platforms: [linux-x86_64], driver: {linux: '" +
                         range + "'}}\npackages:\n  - {name: nvidia-driver, version: '535.*'}\n");
    if (!r.stack) FAIL(r.text());
    return *r.stack;
  };
  auto p = m.plan(s(">=535"));
  REQUIRE(p.checks.size() >= 2);
  CHECK(p.checks[1].outcome == "warn");
  CHECK(p.checks[1].detail.find("pkg:nvidia-driver (this plan) installs driver 535.216.01") == 0);
  CHECK(p.checks[1].detail.find("none loaded now") != std::string::npos);
  CHECK(m.plan(s(">=550")).checks[1].outcome == "fail");
  // Installed and loaded as another version: the plan says a reboot is due.
  REQUIRE(m.apply(p).ok);
  m.driver.present = true;
  m.driver.version = "535.183.01";
  m.driver.installed_version = "535.216.01";
  m.driver.reboot_needed = true;
  auto after = m.plan(s(">=535"));
  CHECK(after.actions.empty());
  bool said = false;
  for (const auto& c : after.checks)
    said = said || (c.name == "driver reboot" &&
                    c.detail.find("a reboot loads theirs") != std::string::npos);
  CHECK(said);
}

TEST_CASE(
    "packages: a host compiler in range is found beside the default or installed by the plan") {
  FakeMachine m;
  m.compilers = {{"g++", "/usr/bin/g++", "14.2.0", "command:/usr/bin/g++ -dumpfullversion"}};
  m.packages.archive["g++-12"] = {{"12.2.0-14+deb12u1", {"gcc-12"}, false}};
  m.packages.archive["gcc-12"] = {{"12.2.0-14+deb12u1", {}, false}};
  auto s = [](const std::string& packages) {
    auto r = decode_text(head("cc") +
                         "requires: {platforms: [linux-x86_64], host_compiler: {linux: {gcc: "
                         "'>=11,<=12'}}}\n" +
                         packages);
    if (!r.stack) FAIL(r.text());
    return *r.stack;
  };
  auto compiler = [](const plan::Plan& p) {
    for (const auto& c : p.checks)
      if (c.name == "host compiler") return c;
    FAIL("no host compiler check");
    return plan::Check{};
  };
  // Nothing in range and nothing listed: the warning says what to list.
  auto none = compiler(m.plan(s("")));
  CHECK(none.outcome == "warn");
  CHECK(none.detail.find("gcc 14.2.0 is outside >=11,<=12") == 0);
  CHECK(none.detail.find("list a g++-N within it under packages:") != std::string::npos);
  // Listed: the plan installs it and the check is judged on what it installs.
  auto p = m.plan(s("packages: [g++-12]\n"));
  auto listed = compiler(p);
  CHECK(listed.outcome == "pass");
  CHECK(listed.detail.find("pkg:g++-12 (this plan) installs gcc 12.2.0 within >=11,<=12") == 0);
  REQUIRE(m.apply(p).ok);
  CHECK(m.packages.now.count("gcc-12")); // the dependency apt adds
  // Installed: the probe finds /usr/bin/g++-12 beside g++ 14, and verify gives it to nvcc.
  m.compilers.push_back({"g++-12", "/usr/bin/g++-12", "12.2.0", ""});
  auto after = m.plan(s("packages: [g++-12]\n"));
  CHECK(after.actions.empty());
  CHECK(compiler(after).outcome == "pass");
  CHECK(compiler(after).detail.find("/usr/bin/g++-12 (12.2.0) is within it") != std::string::npos);
  // A version the range excludes is not taken for one it includes.
  m.compilers.pop_back();
  m.packages.archive["g++-10"] = {{"10.2.1-6", {}, false}};
  CHECK(compiler(m.plan(s("packages: [g++-10]\n"))).outcome == "warn");
}
