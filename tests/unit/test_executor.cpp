// The planner, the executor and the store together, in-process, on a machine in memory
// (fake_machine.hpp): each defect of issue #24 as it was reported, every change of an upgrade
// failed in turn, a kill after every change recovered, and Windows variables undone.
#include "exec/journal.hpp"
#include "fake_machine.hpp"

#include <catch2/catch.hpp>

using namespace gpucfg;
using test::decode_text;
using test::FakeMachine;
using test::head;

namespace {

manifest::Stack stack_of(const std::string& body) {
  auto r = decode_text(head("tk") + "requires: {platforms: [linux-x86_64]}\n" + body);
  if (!r.stack) FAIL(r.text());
  return *r.stack;
}

// A toolkit copied from a folder of the machine, at `prefix`.
manifest::Stack from_folder(const std::string& version, const std::string& prefix,
                            bool active = false) {
  return stack_of("cuda:\n  version: \"" + version + "\"\n  prefix: " + prefix +
                  "\n  active: " + (active ? "true" : "false") +
                  "\n  source: {directory: /srv/cuda-" + version + "}\n");
}

void toolkit_folder(FakeMachine& m, const std::string& version) {
  std::string src = "/srv/cuda-" + version;
  m.disk.put_file(src + "/version.json", "{\"cuda\": {\"version\": \"" + version + ".1\"}}");
  m.disk.put_file(src + "/bin/nvcc", "nvcc " + version, 0755);
  m.disk.put_file(src + "/lib64/libcudart.so.12", "cudart " + version);
}

// A toolkit from one (fake) archive; `resolved` is what its source resolves to.
manifest::Stack from_archive(const std::string& version, const std::string& prefix) {
  return stack_of("cuda:\n  version: \"" + version + "\"\n  prefix: " + prefix +
                  "\n  active: false\n  source: {archive: 'file:///a.tar.gz', sha256: " +
                  std::string(64, '0') + "}\n");
}

std::map<std::string, source::Resolved> archives(const source::Artifact& a) {
  source::Resolved r;
  r.artifacts.push_back(a);
  return {{"cuda", r}};
}

// A machine at generation 1 (CUDA 12.3 at /opt/tk, active, a user's file inside it) and the plan
// that upgrades it in place to 12.4; *before: the machine as it is.
plan::Plan upgrade_setup(FakeMachine& m, std::map<std::string, std::string>* before) {
  toolkit_folder(m, "12.3");
  toolkit_folder(m, "12.4");
  REQUIRE(m.apply(m.plan(from_folder("12.3", "/opt/tk", true))).ok);
  m.disk.put_file("/opt/tk/lib64/user.so", "the user's");
  *before = m.snapshot();
  return m.plan(from_folder("12.4", "/opt/tk", true));
}

bool mentions(const std::vector<std::string>& lines, const std::string& needle) {
  for (const auto& l : lines)
    if (l.find(needle) != std::string::npos) return true;
  return false;
}

} // namespace

TEST_CASE(
    "executor: a toolkit from a folder goes through the store; planning again changes nothing") {
  FakeMachine m;
  toolkit_folder(m, "12.3");
  auto s = from_folder("12.3", "/opt/tk");
  auto p = m.plan(s);
  REQUIRE(p.errors.empty());
  REQUIRE(p.actions.size() == 1);
  CHECK(p.actions[0].op == plan::Op::install_tree);
  CHECK(p.actions[0].key.size() == 64);
  auto r = m.apply(p);
  REQUIRE(r.ok);
  CHECK(m.disk.read("/opt/tk/bin/nvcc") == "nvcc 12.3");
  CHECK(m.disk.lstat("/opt/tk/bin/nvcc")->links == 2); // the installed name and the store's
  CHECK(m.store.has_tree(p.actions[0].key));
  auto current = m.state.current();
  auto e = plan::find_entry(current.entries, "/opt/tk");
  REQUIRE(e);
  CHECK(e->key == p.actions[0].key);
  CHECK(m.plan(s).actions.empty());
  // A folder that changed since is another entry: installed again.
  m.disk.put_file("/srv/cuda-12.3/bin/nvcc", "nvcc 12.3 patched", 0755);
  auto again = m.plan(s);
  REQUIRE(again.actions.size() == 1);
  CHECK(again.actions[0].reason.find("the source folder /srv/cuda-12.3 differs") !=
        std::string::npos);
}

TEST_CASE("executor: an in-place upgrade carries the user's files, and rollback links the old tree "
          "back with them (issue #24, defect 1)") {
  FakeMachine m;
  toolkit_folder(m, "12.3");
  toolkit_folder(m, "12.4");
  REQUIRE(m.apply(m.plan(from_folder("12.3", "/opt/tk"))).ok);
  auto at_1 = m.snapshot();
  m.disk.put_file("/opt/tk/lib64/user.so", "the user's");
  auto p = m.plan(from_folder("12.4", "/opt/tk"));
  REQUIRE(p.actions.size() == 1);
  CHECK(p.actions[0].change == "update");
  CHECK(mentions(p.notes, "carried into the new tree: +lib64/user.so"));
  auto r = m.apply(p);
  REQUIRE(r.ok);
  CHECK(m.disk.read("/opt/tk/bin/nvcc") == "nvcc 12.4");
  CHECK(m.disk.read("/opt/tk/lib64/user.so") == "the user's");
  CHECK(mentions(r.said, "carried into the new tree: lib64/user.so"));

  auto back = exec::rollback_plan(m.machine, m.state, 1);
  REQUIRE(back.errors.empty());
  CHECK(mentions(back.notes, "carried into the tree that comes back: lib64/user.so"));
  REQUIRE(m.apply(back).ok);
  auto now = m.snapshot();
  CHECK(now["/opt/tk/lib64/user.so"] == "file 0644 " + util::sha256_hex("the user's"));
  now.erase("/opt/tk/lib64/user.so");
  CHECK(now == at_1);
  CHECK(m.plan(from_folder("12.3", "/opt/tk")).actions.empty());
}

TEST_CASE("executor: convergence is by pins, never by a version read back (defects 2 and 3)") {
  FakeMachine m;
  // NVIDIA's redist layout puts version.json where no probe looks: it does not matter.
  auto a = m.unpacker.archive("cuda_x 12.0.1",
                              {{"share/licenses/x/version.json", "{}"}, {"bin/nvcc", "nvcc"}});
  auto s = from_archive("12.0", "/opt/tk");
  REQUIRE(m.apply(m.plan(s, archives(a))).ok);
  CHECK(m.plan(s, archives(a)).actions.empty());
  CHECK(m.unpacker.unpacked == 1);
  // The same version, another pin: a change, said with both pins.
  auto b = m.unpacker.archive(
      "cuda_x 12.0.1", {{"share/licenses/x/version.json", "{}"}, {"bin/nvcc", "nvcc rebuilt"}});
  auto p = m.plan(s, archives(b));
  REQUIRE(p.actions.size() == 1);
  CHECK(p.actions[0].reason.find(
            "its sources changed: was cuda_x 12.0.1 sha256:" + a.sha256.substr(0, 12) +
            "; now cuda_x 12.0.1 sha256:" + b.sha256.substr(0, 12)) != std::string::npos);
  REQUIRE(m.apply(p).ok);
  CHECK(m.disk.read("/opt/tk/bin/nvcc") == "nvcc rebuilt");
  CHECK(m.plan(s, archives(b)).actions.empty());
  // Back to the first pin: its entry is in the store, nothing is unpacked again.
  REQUIRE(m.apply(m.plan(s, archives(a))).ok);
  CHECK(m.unpacker.unpacked == 2);
}

TEST_CASE("executor: drift only --checksum sees is repaired by apply --checksum (defect 4)") {
  FakeMachine m;
  auto a = m.unpacker.archive("cuda_x", {{"bin/nvcc", "0123456789"}});
  auto s = from_archive("12.0", "/opt/tk");
  REQUIRE(m.apply(m.plan(s, archives(a))).ok);
  // Written in place, same size, mtime put back: the store's entry shares the damage.
  m.disk.overwrite("/opt/tk/bin/nvcc", "9876543210", true);
  CHECK(m.plan(s, archives(a)).actions.empty());
  auto p = m.plan(s, archives(a), true);
  REQUIRE(p.actions.size() == 1);
  CHECK(p.actions[0].reason.find("~bin/nvcc") != std::string::npos);
  m.machine.checksum = true;
  auto r = m.apply(p);
  REQUIRE(r.ok);
  CHECK(mentions(r.said, "differs from its record: ~bin/nvcc"));
  CHECK(m.disk.read("/opt/tk/bin/nvcc") == "0123456789");
  CHECK(m.plan(s, archives(a), true).actions.empty());
}

TEST_CASE("executor: destroy leaves what was there before gpucfg, a link that already matched "
          "included (defect 7)") {
  FakeMachine m;
  toolkit_folder(m, "13.0");
  m.disk.put_link("/usr/local/cuda", "/opt/tk");
  auto s = from_folder("13.0", "/opt/tk", true);
  auto p = m.plan(s);
  for (const auto& a : p.actions)
    CHECK(a.path != "/usr/local/cuda"); // it already points there
  REQUIRE(m.apply(p).ok);
  auto d = exec::destroy_plan(m.machine, m.state, "tk");
  for (const auto& a : d.actions)
    CHECK(a.path != "/usr/local/cuda");
  REQUIRE(m.apply(d).ok);
  CHECK(m.disk.read_link("/usr/local/cuda") == "/opt/tk");
  CHECK_FALSE(disk::exists(m.disk, "/opt/tk"));
}

TEST_CASE("executor: a user's file where the new tree has one of its own stops the upgrade, "
          "naming it; nothing changes") {
  FakeMachine m;
  toolkit_folder(m, "12.3");
  toolkit_folder(m, "12.4");
  m.disk.put_file("/srv/cuda-12.4/lib64/extra.so", "the new tree's");
  REQUIRE(m.apply(m.plan(from_folder("12.3", "/opt/tk"))).ok);
  m.disk.put_file("/opt/tk/lib64/extra.so", "the user's");
  auto before = m.snapshot();
  auto r = m.apply(m.plan(from_folder("12.4", "/opt/tk")));
  CHECK_FALSE(r.ok);
  CHECK(r.error.find("the new tree has its own lib64/extra.so") != std::string::npos);
  CHECK(m.snapshot() == before);
  CHECK(m.state.current().number == 1);
}

TEST_CASE("executor: every change of an upgrade failed in turn leaves the machine as it was") {
  int k = 1;
  for (; k < 200; ++k) {
    FakeMachine m;
    std::map<std::string, std::string> before;
    auto p = upgrade_setup(m, &before);
    m.disk.fail_at(k);
    auto r = m.apply(p);
    if (r.ok) break; // past the last change
    INFO("failed at change " << k << ": " << r.error);
    CHECK(m.snapshot() == before);
    CHECK(m.state.current().number == 1);
    CHECK_FALSE(disk::exists(m.disk, m.state.journal_file()));
  }
  CHECK(k > 10);
}

TEST_CASE("executor: killed after any change, the next run undoes it or finishes it") {
  int k = 1;
  for (; k < 200; ++k) {
    FakeMachine m;
    std::map<std::string, std::string> before;
    auto p = upgrade_setup(m, &before);
    m.disk.stop_at(k);
    auto r = m.apply(p);
    m.disk.stop_at(0); // the next gpucfg starts
    if (r.ok) break;
    exec::recover(m.machine, m.state);
    INFO("killed after change " << k);
    auto now = m.snapshot();
    if (m.state.current().number == 1) {
      CHECK(now == before);
    } else {
      CHECK(m.disk.read("/opt/tk/bin/nvcc") == "nvcc 12.4");
      CHECK(m.disk.read("/opt/tk/lib64/user.so") == "the user's");
    }
    CHECK_FALSE(disk::exists(m.disk, m.state.journal_file()));
    for (const auto& [path, what] : now)
      CHECK(path.find(".gpucfg-") == std::string::npos);
  }
  CHECK(k > 10);
}

TEST_CASE("executor: Windows variables are set in one transaction and undone on failure") {
  FakeMachine m;
  auto s = decode_text(head("w") +
                           "requires: {platforms: [windows-x86_64]}\n"
                           "env:\n  CUDA_PATH: 'C:\\CUDA'\n  PATH: {prepend: ['C:\\CUDA\\bin']}\n",
                       "windows-x86_64");
  REQUIRE(s.stack);
  m.registry.values["system:PATH"] = {"C:\\Windows", true};
  auto p = m.plan(*s.stack);
  REQUIRE(p.actions.size() == 2);
  // Both variables set, then ldconfig fails: both are written back as they were.
  auto first = p;
  first.actions.push_back(plan::ldconfig_action());
  m.runner.fail = true; // ldconfig fails after both variables were set
  auto r = m.apply(first);
  CHECK_FALSE(r.ok);
  CHECK(m.registry.values.count("system:CUDA_PATH") == 0);
  CHECK(m.registry.values["system:PATH"].value == "C:\\Windows");
  m.runner.fail = false;
  REQUIRE(m.apply(p).ok);
  CHECK(m.registry.values["system:CUDA_PATH"].value == "C:\\CUDA");
  CHECK(m.registry.values["system:PATH"].value == "C:\\CUDA\\bin;C:\\Windows");
  CHECK(m.registry.values["system:PATH"].expand);
  CHECK(m.plan(*s.stack).actions.empty());
}

TEST_CASE("journal: steps are typed; a journal naming an unknown kind is refused whole") {
  exec::Journal j;
  j.generation = 3;
  j.steps.push_back({exec::StepKind::replaced, "/opt/a", "/opt/.gpucfg-old-a"});
  exec::Step v{exec::StepKind::set_variable};
  v.scope = "user";
  v.name = "PATH";
  v.before = util::RegistryValue{"C:\\x", true};
  j.steps.push_back(v);
  std::string why;
  auto back = exec::parse_journal(exec::to_text(j), &why);
  REQUIRE(back);
  CHECK(back->generation == 3);
  CHECK(back->steps[0].backup == "/opt/.gpucfg-old-a");
  CHECK(back->steps[1].before->expand);
  CHECK_FALSE(
      exec::parse_journal(R"({"generation":1,"steps":[{"kind":"unkeep","path":"/x"}]})", &why));
  CHECK(why.find("'unkeep'") != std::string::npos);
  CHECK_FALSE(
      exec::parse_journal(R"({"generation":1,"steps":[{"kind":"replace","path":"/x"}]})", &why));
  CHECK_FALSE(exec::parse_journal("not json", &why));

  // recover() touches nothing for such a journal and says so.
  FakeMachine m;
  m.disk.put_file("/opt/a/keep", "x");
  m.disk.put_file(
      m.state.journal_file(),
      R"({"generation":1,"steps":[{"kind":"create","path":"/opt/a"},{"kind":"unkeep","path":"/x"}]})");
  auto before = m.disk.snapshot("/opt");
  bool refused = false;
  auto msg = exec::recover(m.machine, m.state, &refused);
  CHECK(refused);
  CHECK(msg.find("cannot replay") != std::string::npos);
  CHECK(m.disk.snapshot("/opt") == before);
  CHECK(disk::exists(m.disk, m.state.journal_file()));
}

TEST_CASE("planner: folders gpucfg made are removed once emptied, whichever separator a Windows "
          "path was written with") {
  plan::Plan p;
  plan::Action a;
  a.op = plan::Op::remove_tree;
  a.path = "C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v11.2";
  p.actions.push_back(a);
  std::vector<plan::MadeFolder> made = {
      {"C:\\Program Files\\NVIDIA GPU Computing Toolkit", {"CUDA"}},
      {"C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA", {"v11.2"}}};
  plan::remove_emptied_folders(made, "destroy", p);
  REQUIRE(p.actions.size() == 3);
  CHECK(p.actions[1].path == made[1].path); // the child first
  CHECK(p.actions[2].path == made[0].path);
  // A folder that keeps something gpucfg does not remove stays.
  plan::Plan q;
  q.actions.push_back(a);
  plan::remove_emptied_folders({{made[1].path, {"v11.2", "user.txt"}}}, "destroy", q);
  CHECK(q.actions.size() == 1);
}
