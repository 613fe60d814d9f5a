// A whole machine in memory for in-process tests of the planner, the executor and the store (as
// ninja's build_test.cc drives its Builder over a VirtualFileSystem): a FakeDisk, a process runner
// that records what it was asked to run, a registry in memory, an unpacker whose "archives" are
// file lists, an environment builder that writes a few files, and apt and dpkg in memory
// (packages::FakeManager). plan() observes the FakeDisk
// through a DiskHost and runs the real planner; apply() runs the real executor.
#pragma once

#include "disk/fake_disk.hpp"
#include "exec/executor.hpp"
#include "exec/gc.hpp"
#include "exec/restore.hpp"
#include "helpers.hpp"
#include "packages/fake.hpp"
#include "plan/observe.hpp"
#include "plan/planner.hpp"
#include "probe/disk_host.hpp"
#include "session/packages.hpp"
#include "store/key.hpp"
#include "util/sha256.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

namespace gpucfg::test {

class FakeRunner : public util::ProcessRunner {
public:
  util::ProcessResult run(const std::vector<std::string>& argv,
                          const util::ProcessOptions&) override {
    ran.push_back(argv);
    util::ProcessResult r;
    r.started = true;
    r.exit_code = fail ? 1 : 0;
    return r;
  }
  std::vector<std::vector<std::string>> ran;
  bool fail = false;
};

class FakeRegistry : public util::Registry {
public:
  std::optional<util::RegistryValue> read(const std::string& scope, const std::string& name,
                                          std::string*) override {
    auto it = values.find(scope + ":" + name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
  std::string write(const std::string& scope, const std::string& name,
                    const std::optional<util::RegistryValue>& v) override {
    if (fail_writes) return "injected registry failure";
    if (v)
      values[scope + ":" + name] = *v;
    else
      values.erase(scope + ":" + name);
    return "";
  }
  bool available() const override { return true; }
  void broadcast() override { ++broadcasts; }
  std::map<std::string, util::RegistryValue> values;
  bool fail_writes = false;
  int broadcasts = 0;
};

// Archives by sha256: each unpacks to the files listed (path -> content).
class FakeUnpacker : public store::Unpacker {
public:
  explicit FakeUnpacker(disk::Disk& d) : m_disk(d) {}
  store::Status unpack(const std::vector<source::Artifact>& archives, const std::string&,
                       const std::string&, const std::string& dir,
                       store::TreeManifest* files) override {
    for (const auto& a : archives) {
      auto it = contents.find(a.sha256);
      if (it == contents.end()) return a.name + ": not in the store";
      for (const auto& [path, data] : it->second) {
        disk::make_dirs(m_disk, disk::parent_of(dir + "/" + path));
        if (auto s = m_disk.write(dir + "/" + path, data, path.rfind("bin/", 0) == 0 ? 0755 : 0644);
            !s.empty())
          return s;
        files->files.push_back({path, "file", 0, 0, util::sha256_hex(data), 0});
      }
    }
    ++unpacked;
    return "";
  }
  // An archive holding `files`; its pin is the hash of what it holds.
  source::Artifact archive(const std::string& name, std::map<std::string, std::string> files) {
    std::string all;
    for (const auto& [p, d] : files)
      all += p + "\n" + d + "\n";
    source::Artifact a;
    a.name = name;
    a.file = name + ".tar.gz";
    a.sha256 = util::sha256_hex(all);
    a.layout = "plain";
    contents[a.sha256] = std::move(files);
    return a;
  }
  std::map<std::string, std::map<std::string, std::string>> contents;
  int unpacked = 0;

private:
  disk::Disk& m_disk;
};

class FakeEnvBuilder : public exec::EnvBuilder {
public:
  explicit FakeEnvBuilder(disk::Disk& d) : m_disk(d) {}
  exec::Status build(const std::string& dir, const std::string&,
                     const std::vector<source::Artifact>& wheels, const std::string& marker,
                     std::vector<std::string>*) override {
    if (auto s = disk::make_dirs(m_disk, dir + "/bin"); !s.empty()) return s;
    for (const auto& w : wheels)
      if (auto s = m_disk.write(dir + "/" + w.file, w.sha256, 0644); !s.empty()) return s;
    return m_disk.write(dir + "/gpucfg-env.json", marker, 0644);
  }

private:
  disk::Disk& m_disk;
};

struct FakeMachine {
  disk::FakeDisk disk;
  FakeRunner runner;
  FakeRegistry registry;
  store::Store store{disk, "/store"};
  FakeUnpacker unpacker{disk};
  FakeEnvBuilder envs{disk};
  exec::Machine machine{disk, runner, registry, store, unpacker, envs, ""};
  exec::StateStore state{disk, "/"};
  packages::FakeManager packages;         // apt and dpkg in memory
  probe::DriverFacts driver;              // what plan() says the probe found (none by default)
  std::vector<probe::Compiler> compilers; // host compilers plan() says the probe found

  FakeMachine() {
    machine.packages = &packages;
    packages.dead = [this] { return disk.stopped(); };
    // The state folder where a Linux machine keeps it, whichever system runs the test (the
    // Windows build's unit tests run under Wine, where it would be %ProgramData%\gpucfg).
    static const bool set = [] {
#ifdef _WIN32
      _putenv_s("GPUCFG_STATE_DIR", "/var/lib/gpucfg");
#else
      setenv("GPUCFG_STATE_DIR", "/var/lib/gpucfg", 1);
#endif
      return true;
    }();
    (void)set;
    store.open();
    state.ensure();
  }

  // The plan for `stack` on this machine; `resolved` stands for what its sources resolve to.
  plan::Plan plan(const manifest::Stack& stack,
                  const std::map<std::string, source::Resolved>& resolved = {},
                  bool checksum = false) {
    probe::Facts facts;
    facts.platform.id = stack.platform->id();
    facts.driver = driver;
    facts.compilers = compilers;
    // The interpreter an environment is built with (the FakeEnvBuilder never runs it).
    facts.pythons.push_back(
        {"/usr/bin/python3", "/usr/bin/python3.11", "3.11", "file:/usr/bin/python3.11"});
    probe::DiskHost host(disk, {{"HOME", "/root"}});
    auto wanted = plan::wanted(stack, "/root", facts);
    plan::Observed observed = plan::observe(host, wanted, checksum, store.dir(), disk, &registry);
    observed.resolved = resolved;
    observed.packages = session::observe_packages(&packages, "", stack); // as the session does
    plan::PlanInput in{stack, facts, observed, kb(), "live"};
    auto p = plan::make_plan(in);
    if (observed.packages.observed) session::simulate_packages(packages, p);
    return p;
  }

  exec::ExecResult apply(const plan::Plan& p) {
    auto r = exec::execute(machine, state, p);
    if (!r.ok) UNSCOPED_INFO("apply failed: " << r.error);
    return r;
  }

  // What is on the machine, less gpucfg's own state and store; its packages as "pkg:NAME".
  std::map<std::string, std::string> snapshot() const {
    auto all = disk.snapshot("/");
    for (auto it = all.begin(); it != all.end();)
      if (it->first.rfind("/store", 0) == 0 || it->first.rfind("/var/lib/gpucfg", 0) == 0)
        it = all.erase(it);
      else
        ++it;
    for (const auto& [name, i] : packages.now)
      all["pkg:" + name] = i.version + " " + i.state + (i.hold ? " held" : "");
    return all;
  }
};

} // namespace gpucfg::test
