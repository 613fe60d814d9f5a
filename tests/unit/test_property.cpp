// Random sequences of apply (toolkits from folders at the same and at other prefixes, a cuDNN
// from archives, system packages through apt and dpkg in memory), rollback, destroy, gc and a
// user's edits, on a machine in memory, checked after every step: a run that fails or is refused
// changes nothing; an apply converges (planning again changes nothing); a rollback makes the
// machine what that generation was; a destroy leaves none of the manifest's paths; and no file a
// user added ever vanishes. Reproducible: the seed is printed, and GPUCFG_PROPERTY_SEED /
// GPUCFG_PROPERTY_SEQUENCES set it and the count.
#include "fake_machine.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <random>

using namespace gpucfg;
using test::FakeMachine;

namespace {

struct Choice {
  std::string name;    // the manifest's
  std::string version; // 12.3 | 12.4 | 12.5
  std::string prefix;  // where its toolkit goes
  bool cudnn = false;  // and a cuDNN from an archive at /opt/cudnn-<name>
  int cudnn_build = 0; // which of two cuDNN archives
  int env = -1;        // and an environment of wheels 0 or 1 at /opt/envs/<name> (-1: none)
  int pkg = -1;        // and packages: gpc-demo 1.0; gpc-demo 2.0 held; gpc-bad (its script fails)
};

const char* const k_packages[] = {"  - {name: gpc-demo, version: '1.0', hold: false}\n",
                                  "  - {name: gpc-demo, version: '2.0', hold: true}\n",
                                  "  - gpc-bad\n"};

// Two locks: the wheel each environment is built from.
source::Artifact wheel(int which) {
  source::Artifact a;
  a.name = "fw " + std::to_string(which);
  a.file = "fw-1." + std::to_string(which) + "-py3-none-any.whl";
  a.component = "fw";
  a.sha256 = util::sha256_hex("wheel " + std::to_string(which));
  a.layout = "python";
  return a;
}

manifest::Stack stack_of(const Choice& c) {
  std::string text = test::head(c.name) +
                     "requires: {platforms: [linux-x86_64]}\n"
                     "cuda:\n  version: \"" +
                     c.version + "\"\n  prefix: " + c.prefix +
                     "\n  active: false\n  source: {directory: /srv/cuda-" + c.version + "}\n";
  if (c.cudnn)
    text += "cudnn:\n  version: 8.9.7\n  cuda: \"12\"\n  prefix: /opt/cudnn-" + c.name +
            "\n  source: {archive: 'file:///c.tar.gz', sha256: " + std::string(64, '0') + "}\n";
  if (c.env >= 0) {
    auto w = wheel(c.env);
    text += "python:\n  env: /opt/envs/" + c.name +
            "\n  interpreter: /usr/bin/python3\n"
            "  import: [fw]\n  lock:\n    - {wheel: " +
            w.file + ", sha256: " + w.sha256 + ", for: [linux-x86_64/3.11]}\n";
  }
  if (c.pkg >= 0) text += std::string("packages:\n") + k_packages[c.pkg];
  auto r = test::decode_text(text);
  if (!r.stack) throw std::runtime_error(r.text());
  return *r.stack;
}

// What differs between two snapshots, for a failure's message.
std::string differences(const std::map<std::string, std::string>& a,
                        const std::map<std::string, std::string>& b) {
  std::string out;
  for (const auto& [p, w] : a)
    if (!b.count(p) || b.at(p) != w) out += "\n  now " + p + ": " + w;
  for (const auto& [p, w] : b)
    if (!a.count(p) || a.at(p) != w) out += "\n  want " + p + ": " + w;
  return out;
}

struct Stats {
  std::map<std::string, int> ran, changed, refused;
};

class Sequence {
public:
  Sequence(unsigned seed, Stats& stats) : m_rng(seed), m_stats(stats) {
    for (const char* v : {"12.3", "12.4", "12.5"}) {
      std::string src = std::string("/srv/cuda-") + v;
      m.disk.put_file(src + "/version.json",
                      std::string("{\"cuda\": {\"version\": \"") + v + "\"}}");
      m.disk.put_file(src + "/bin/nvcc", std::string("nvcc ") + v, 0755);
      m.disk.put_file(src + "/lib64/libcudart.so.12", std::string("cudart ") + v);
      m.disk.put_link(src + "/lib64/libcudart.so", "libcudart.so.12");
    }
    m_cudnn[0] = m.unpacker.archive(
        "cudnn 8.9.7", {{"include/cudnn.h", "8.9.7"}, {"lib/libcudnn.so.8", "cudnn a"}});
    m_cudnn[1] = m.unpacker.archive(
        "cudnn 8.9.7", {{"include/cudnn.h", "8.9.7"}, {"lib/libcudnn.so.8", "cudnn b"}});
    // apt's archive: gpc-demo needs gpc-lib, which the machine has; gpc-bad's script fails.
    m.packages.archive["gpc-lib"] = {{"1.0", {}, false}};
    m.packages.archive["gpc-demo"] = {{"1.0", {"gpc-lib"}, false}, {"2.0", {"gpc-lib"}, false}};
    m.packages.archive["gpc-bad"] = {{"1.0", {}, true}};
    m.packages.now["gpc-lib"] = {"1.0", "installed", false};
    m_generations[0] = mine(m.snapshot());
  }

  void step() {
    int op = std::uniform_int_distribution<int>(0, 10)(m_rng);
    if (std::getenv("GPUCFG_PROPERTY_TRACE")) {
      std::cout << "step " << op << " (generation " << m.state.current().number << "); made:";
      for (const auto& f : m.state.created_folders())
        std::cout << " " << f;
      std::cout << "\n";
    }
    if (op == 10) return killed();
    if (op <= 3)
      apply();
    else if (op == 4)
      rollback();
    else if (op == 5)
      destroy();
    else if (op == 6)
      gc();
    else
      user_edit(op);
    invariants();
  }

private:
  std::string pick(const std::vector<std::string>& from) {
    return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(m_rng)];
  }

  // The machine without the files the user added (gpucfg's own part of it), and without the
  // files the user changed in place or removed at some point: a generation's snapshot may have
  // been taken while one of them was changed (in a tree another run left alone), whereas a
  // rollback puts them back as recorded.
  std::map<std::string, std::string> mine(std::map<std::string, std::string> snap) const {
    for (const auto& [path, content] : m_user)
      snap.erase(path);
    for (const auto& d : m_user_dirs)
      snap.erase(d);
    for (const auto& e : m_edited)
      snap.erase(e);
    return snap;
  }

  std::map<std::string, source::Resolved> resolved(const Choice& c) {
    std::map<std::string, source::Resolved> out;
    if (c.cudnn) out["cudnn"].artifacts.push_back(m_cudnn[c.cudnn_build]);
    if (c.env >= 0) out["python"].artifacts.push_back(wheel(c.env));
    return out;
  }

  // Runs a plan and checks what every run must hold; true when it made a generation.
  bool run(const std::string& what, const plan::Plan& p) {
    ++m_stats.ran[what];
    if (std::getenv("GPUCFG_PROPERTY_TRACE")) {
      std::cout << what << ":";
      for (const auto& a : p.actions)
        std::cout << " " << a.change << " " << a.path << " (" << a.reason << ")";
      for (const auto& e : p.errors)
        std::cout << " ERROR " << e;
      std::cout << "\n";
    }
    auto before = m.snapshot();
    if (!p.errors.empty()) {
      ++m_stats.refused[what];
      return false;
    }
    auto r = m.apply(p);
    if (!r.ok) {
      ++m_stats.refused[what];
      INFO(what << " failed: " << r.error);
      REQUIRE(m.snapshot() == before); // undone, whole
      return false;
    }
    if (std::getenv("GPUCFG_PROPERTY_TRACE"))
      for (const auto& line : r.said)
        std::cout << "  said: " << line << "\n";
    if (r.generation != m_last) ++m_stats.changed[what];
    m_last = r.generation;
    m_generations[r.generation] = mine(m.snapshot());
    return true;
  }

  Choice choose() {
    Choice c;
    c.name = pick({"sa", "sb"});
    c.version = pick({"12.3", "12.4", "12.5"});
    c.prefix = c.name == "sa" ? pick({"/opt/a", "/opt/a2"}) : "/opt/b";
    c.cudnn = c.name == "sa" && m_rng() % 2;
    c.cudnn_build = static_cast<int>(m_rng() % 2);
    c.env = c.name == "sb" ? static_cast<int>(m_rng() % 3) - 1 : -1;
    c.pkg = c.name == "sa" ? static_cast<int>(m_rng() % 4) - 1 : -1;
    return c;
  }

  void apply() {
    Choice c = choose();
    auto s = stack_of(c);
    if (!run("apply", m.plan(s, resolved(c)))) return;
    auto again = m.plan(s, resolved(c));
    std::string left;
    for (const auto& a : again.actions)
      left += " " + a.change + " " + a.path + " (" + a.reason + ")";
    INFO("apply " << c.name << " " << c.version << " at " << c.prefix << " (cudnn " << c.cudnn
                  << "), then:" << left);
    CHECK(again.actions.empty()); // converged
    CHECK(again.errors.empty());
  }

  // An apply killed after a random change: the next run's recovery leaves the machine as it was,
  // or, past the commit point, as the apply made it.
  void killed() {
    Choice c = choose();
    auto s = stack_of(c);
    auto p = m.plan(s, resolved(c));
    if (!p.errors.empty() || p.actions.empty()) return;
    ++m_stats.ran["apply killed"];
    int before_gen = m.state.current().number;
    auto before = m.snapshot();
    m.disk.stop_at(static_cast<int>(m_rng() % 40) + 1);
    auto r = m.apply(p);
    m.disk.stop_at(0);
    std::string said = exec::recover(m.machine, m.state);
    if (std::getenv("GPUCFG_PROPERTY_TRACE")) std::cout << "killed: " << said << "\n";
    if (m.state.current().number == before_gen) {
      INFO("killed before its commit" << differences(m.snapshot(), before));
      CHECK(m.snapshot() == before);
      return;
    }
    ++m_stats.changed["apply killed"];
    m_last = m.state.current().number;
    m_generations[m_last] = mine(m.snapshot());
    CHECK(m.plan(s, resolved(c)).actions.empty());
    (void)r;
  }

  void rollback() {
    auto history = m.state.history();
    int current = m.state.current().number;
    std::vector<int> targets = {0};
    for (const auto& g : history)
      if (g.number < current) targets.push_back(g.number);
    int to = targets[std::uniform_int_distribution<std::size_t>(0, targets.size() - 1)(m_rng)];
    if (current == 0) return;
    if (std::getenv("GPUCFG_PROPERTY_TRACE"))
      for (const auto& [p, w] : m.disk.snapshot("/"))
        if (p.rfind("/etc", 0) == 0 || p.rfind("/opt/envs", 0) == 0)
          std::cout << "  has " << p << "\n";
    if (!run("rollback", exec::rollback_plan(m.machine, m.state, to))) return;
    auto now = mine(m.snapshot()), then = mine(m_generations[to]);
    INFO("rollback to " << to << differences(now, then));
    CHECK(now == then); // that generation, byte for byte
  }

  void destroy() {
    std::string name = pick({"sa", "sb"});
    if (!run("destroy", exec::destroy_plan(m.machine, m.state, name))) return;
    for (const auto& e : m.state.current().entries)
      CHECK(e.manifest != name);
    if (name == "sa") // its packages back as they were before gpucfg: gpc-lib, the machine's own
      CHECK(m.packages.now.size() == 1);
    for (const auto& p : name == "sa"
                             ? std::vector<std::string>{"/opt/a", "/opt/a2", "/opt/cudnn-sa"}
                             : std::vector<std::string>{"/opt/b", "/opt/envs/sb"})
      CHECK_FALSE(disk::exists(m.disk, p));
    if (name == "sb")
      for (const auto& n : m.disk.list("/opt/envs"))
        CHECK(n.rfind("sb-", 0) != 0); // the environments' folders too
  }

  void gc() {
    ++m_stats.ran["gc"];
    int keep = pick({"-1", "1", "2"}) == "-1" ? -1 : static_cast<int>(m_rng() % 2 + 1);
    auto before = m.snapshot();
    auto r = exec::collect_garbage(m.machine, m.state, keep, false);
    CHECK(r.errors.empty());
    CHECK(m.snapshot() == before); // gc never touches the machine's own paths
    for (int n : r.forgotten)
      m_generations.erase(n);
  }

  // The user adds a file to a managed tree, deletes one of its files, or writes one in place.
  void user_edit(int op) {
    std::vector<std::string> trees;
    for (const auto& e : m.state.current().entries)
      if (e.kind == "tree" && disk::is_dir(m.disk, e.path)) trees.push_back(e.path);
    if (trees.empty()) return;
    std::string tree = pick(trees);
    if (op <= 7) {
      ++m_stats.ran["user adds a file"];
      std::string path = tree + "/lib64/user-" + std::to_string(m_user.size()) + ".txt";
      if (!disk::is_dir(m.disk, tree + "/lib64")) {
        m_user_dirs.insert(tree + "/lib64");
        m.disk.put_dir(tree + "/lib64");
      }
      m.disk.put_file(path, "the user's " + path);
      m_user[path] = m.disk.snapshot(path).at(path);
      return;
    }
    std::vector<std::string> files;
    for (const auto& e : disk::walk(m.disk, tree))
      if (e.stat.kind == disk::Kind::file && !m_user.count(tree + "/" + e.path))
        files.push_back(tree + "/" + e.path);
    if (files.empty()) return;
    std::string f = pick(files);
    // A file of a tree is the store entry's file too (a hard link), and so every other tree's
    // made from that entry: a write in place shows through all of them (the store's check
    // catches it before the entry is used again).
    for (const auto& name : op == 8 ? std::vector<std::string>{f} : m.disk.names_of(f))
      m_edited.insert(name);
    if (std::getenv("GPUCFG_PROPERTY_TRACE"))
      std::cout << (op == 8 ? "user removes " : "user writes in place ") << f << "\n";
    if (op == 8) {
      ++m_stats.ran["user removes a file"];
      m.disk.remove(f);
    } else {
      ++m_stats.ran["user writes in place"];
      m.disk.overwrite(f, "edited in place");
    }
  }

  void invariants() {
    auto snap = m.snapshot();
    for (const auto& [path, what] : m_user) {
      INFO("the user's " << path);
      CHECK(snap.count(path) == 1);
      if (snap.count(path)) CHECK(snap.at(path) == what);
    }
    for (const auto& [path, what] : snap)
      CHECK(path.find(".gpucfg-") == std::string::npos);
    CHECK_FALSE(disk::exists(m.disk, m.state.journal_file()));
  }

  FakeMachine m;
  std::mt19937 m_rng;
  Stats& m_stats;
  source::Artifact m_cudnn[2];
  std::map<int, std::map<std::string, std::string>> m_generations;
  std::map<std::string, std::string> m_user;
  std::set<std::string> m_user_dirs, m_edited;
  int m_last = 0;
};

unsigned env_number(const char* name, unsigned fallback) {
  const char* v = std::getenv(name);
  return v && *v ? static_cast<unsigned>(std::strtoul(v, nullptr, 10)) : fallback;
}

} // namespace

TEST_CASE("property: random apply/rollback/destroy/gc/edit sequences keep every promise") {
  unsigned seed = env_number("GPUCFG_PROPERTY_SEED", static_cast<unsigned>(std::time(nullptr)));
  unsigned sequences = env_number("GPUCFG_PROPERTY_SEQUENCES", 200);
  const int steps = 14;
  Stats stats;
  std::cout << "property: seed " << seed << ", " << sequences << " sequences of " << steps
            << " steps\n";
  for (unsigned i = 0; i < sequences; ++i) {
    INFO("seed " << seed << ", sequence " << i);
    Sequence s(seed + i, stats);
    for (int k = 0; k < steps; ++k)
      s.step();
  }
  int total = 0;
  for (const auto& [what, n] : stats.ran) {
    std::cout << "  " << what << ": " << n << " run";
    if (stats.changed.count(what)) std::cout << ", " << stats.changed[what] << " changed";
    if (stats.refused.count(what)) std::cout << ", " << stats.refused[what] << " refused";
    std::cout << "\n";
    total += n;
  }
  std::cout << "  " << total << " steps in all\n";
  CHECK(stats.changed["apply"] > 0);
  CHECK(stats.changed["rollback"] > 0);
  CHECK(stats.changed["destroy"] > 0);
}
