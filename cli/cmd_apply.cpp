// gpucfg apply / rollback / destroy / history / gc: changes to the machine, each one transaction
// under the state lock. apply takes a manifest (planned now) or a saved plan (refused if the
// machine changed since it was made).
#include "exec/executor.hpp"
#include "exec/gc.hpp"
#include "exec/restore.hpp"
#include "manifest/check.hpp"
#include "plan/observe.hpp"
#include "plan/plan_json.hpp"
#include "plan/planner.hpp"
#include "plan/render.hpp"
#include "plan_common.hpp"
#include "probe/probe.hpp"
#include "source/fetch.hpp"
#include "util/os.hpp"
#include "util/strings.hpp"
#include "verify/verify.hpp"

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

namespace gpucfg::cli {
namespace {

struct Session {
  std::optional<exec::StateStore> store;
  std::unique_ptr<exec::Lock> lock;
};

// Takes the lock and finishes or undoes whatever a killed gpucfg left. False: cannot go on.
bool begin(Session& s, const std::string& root, const std::string& operation, int wait_s) {
  s.store.emplace(root);
  if (auto err = s.store->ensure(); !err.empty()) {
    std::cerr << "gpucfg: " << err << "\n";
    return false;
  }
  s.lock = std::make_unique<exec::Lock>(*s.store, operation, 0);
  if (!s.lock->held() && wait_s > 0) {
    // Waiting is worth a word: who is ahead, and for how long this one waits.
    std::cerr << "gpucfg: waiting up to " << wait_s << " s for the lock, held by "
              << s.lock->holder() << "\n";
    s.lock = std::make_unique<exec::Lock>(*s.store, operation, wait_s);
  }
  if (!s.lock->held()) {
    std::cerr << "gpucfg: " << s.lock->message() << "\n";
    return false;
  }
  if (!s.lock->message().empty()) std::cerr << "gpucfg: " << s.lock->message() << "\n";
  if (auto msg = exec::recover(*s.store); !msg.empty()) std::cerr << "gpucfg: " << msg << "\n";
  return true;
}

// The options of every command that changes gpucfg's state: which machine, how long to wait.
void state_options(CLI::App* cmd, std::string& root, int& wait_s) {
  cmd->add_option("--root", root, "The machine under this folder")->check(CLI::ExistingDirectory);
  cmd->add_option("--lock-timeout", wait_s, "Seconds to wait for the lock");
}

bool confirmed(bool yes) {
  if (yes) return true;
  if (!util::is_terminal(0)) {
    std::cerr << "gpucfg: not a terminal; pass --yes to apply without a prompt\n";
    return false;
  }
  std::cout << "Apply these changes? Only 'yes' is accepted: " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "yes";
}

int run(exec::StateStore& store, plan::Plan p, bool yes, bool print_plan,
        bool allow_unpinned = false) {
  if (print_plan) std::cout << plan::render_text(p, false);
  if (p.has_errors()) return k_error;
  if (!p.has_changes()) return k_ok;
  if (!confirmed(yes)) return k_error;
  // Every archive is on this computer before the first change: a failed download changes nothing.
  StderrReporter report;
  if (!session::fetch_artifacts(session::plan_artifacts(p), allow_unpinned, report)) {
    std::cerr << "gpucfg: apply stopped before changing anything\n";
    return k_error;
  }
  exec::ExecOptions eo;
  eo.cache_dir = source::default_cache_dir();
  auto r = exec::execute(store, p, eo);
  if (!r.ok) {
    std::cerr << "gpucfg: apply failed: " << r.error << "\n";
    return k_error;
  }
  std::cout << "Applied: generation " << r.generation << " (" << r.log.size() << " change(s)).\n";
  for (const auto& line : r.kept)
    std::cout << "  " << line << "\n";
  return k_ok;
}

// A saved plan (JSON with format_version and actions), or nullopt for anything else (a
// manifest). A file that claims to be a plan but does not hold one sets *error.
std::optional<plan::Plan> read_saved_plan(const std::string& path, std::string* error) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  auto j = nlohmann::json::parse(text.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("format_version") || !j.contains("actions"))
    return std::nullopt;
  try {
    return j.get<plan::Plan>();
  } catch (const nlohmann::json::exception& e) {
    *error = path + ": not a gpucfg plan: " + e.what();
    return std::nullopt;
  }
}

} // namespace

void add_apply(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "apply", "Make the machine match a manifest (or a saved plan), as one transaction: "
               "staged, fsynced, renamed into place, recorded; undone on failure");
  struct Opts {
    PlanRequest req;
    bool yes = false, no_verify = false;
    int wait_s = 0;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_flag("--no-verify", o->no_verify, "Skip the manifest's verify level after a change");
  cmd->add_option("manifest", o->req.manifest,
                  "Manifest file, or a plan saved with `gpucfg plan --out`")
      ->required();
  cmd->add_option("--root", o->req.root, "Apply to the machine under this folder")
      ->check(CLI::ExistingDirectory);
  cmd->add_flag("-y,--yes", o->yes, "Do not ask for confirmation");
  add_source_flags(*cmd, o->req);
  o->req.prepare = true;
  cmd->add_option("--lock-timeout", o->wait_s,
                  "Seconds to wait for another gpucfg holding the lock (default 0)");
  cmd->footer("\nExamples:\n  gpucfg apply --yes examples/local-cuda-13.0.yaml\n"
              "  gpucfg plan --out p.json m.yaml && gpucfg apply p.json\n");
  cmd->callback([o, &exit_code] {
    Session s;
    if (!begin(s, o->req.root, "apply " + o->req.manifest, o->wait_s)) {
      exit_code = k_error;
      return;
    }
    std::string bad_plan;
    auto saved = read_saved_plan(o->req.manifest, &bad_plan);
    if (!bad_plan.empty()) {
      std::cerr << "gpucfg: " << bad_plan << "; nothing was changed\n";
      exit_code = k_error;
      return;
    }
    if (saved) {
      // Re-read the machine the way the plan did and refuse if anything it saw has changed.
      auto host = probe::make_local_host(o->req.root);
      auto facts = probe::gather(*host);
      auto observed = plan::observe(
          *host, {saved->observed_paths, saved->source_dirs, saved->observed_variables}, false);
      if (plan::fingerprint(facts, observed) != saved->fingerprint ||
          saved->facts_source != "live") {
        std::cerr << "gpucfg: the plan in " << o->req.manifest
                  << " is stale: the machine changed since it was made (or it was made from a "
                     "facts file); "
                     "run gpucfg plan again\n";
        exit_code = k_error;
        return;
      }
      exit_code = run(*s.store, *saved, o->yes, true, o->req.allow_unpinned);
      return;
    }
    Context ctx;
    auto planned = make_plan(o->req, ctx);
    if (!planned) {
      exit_code = k_error;
      return;
    }
    exit_code = run(*s.store, planned->plan, o->yes, true, o->req.allow_unpinned);
    // After a change, the manifest's own verify level (when it has a verify section) says
    // whether the result works; a failure is exit 3, the changes stay (rollback undoes them).
    bool changed = exit_code == k_ok && planned->plan.has_changes();
    if (changed && !o->no_verify && planned->stack->verify.mark.line > 0) {
      verify::Options vo = verify_options(planned->stack->verify.level);
      auto host = probe::make_local_host(o->req.root);
      auto report = verify::run(*planned->stack, probe::gather(*host), *host, vo);
      for (const auto& r : report.results)
        if (r.outcome != "pass")
          std::cout << (r.outcome == "fail" ? "FAIL    " : "not-run ") << r.level << ": " << r.check
                    << ": " << r.detail << "\n";
      std::cout << "Verify (" << vo.level << "): " << report.count("pass") << " passed, "
                << report.count("fail") << " failed, " << report.count("not-run") << " not run.\n";
      if (report.count("fail")) exit_code = k_verify_failed;
    }
  });
}

void add_rollback(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("rollback",
                                 "Put every managed path back as an earlier generation recorded it "
                                 "(a new generation; files byte for byte, links and env included)");
  struct Opts {
    std::string root = "/";
    int to = -1, wait_s = 0;
    bool yes = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option(
      "--to", o->to,
      "Generation to go back to (default: the one before the current; 0: before gpucfg)");
  state_options(cmd, o->root, o->wait_s);
  cmd->add_flag("-y,--yes", o->yes, "Do not ask for confirmation");
  cmd->footer("\nExamples:\n  gpucfg rollback --yes\n  gpucfg rollback --to 3 --yes\n");
  cmd->callback([o, &exit_code] {
    Session s;
    if (!begin(s, o->root, "rollback", o->wait_s)) {
      exit_code = k_error;
      return;
    }
    int current = s.store->current().number;
    int to = o->to >= 0 ? o->to : current - 1;
    if (to < 0) {
      std::cerr << "gpucfg: nothing to roll back to: no generation was applied yet\n";
      exit_code = k_error;
      return;
    }
    if (to >= current) {
      std::cerr << "gpucfg: no generation " << to << " to roll back to: the current one is "
                << current << " (gpucfg history lists them)\n";
      exit_code = k_error;
      return;
    }
    exit_code = run(*s.store, exec::rollback_plan(*s.store, to), o->yes, true);
  });
}

void add_destroy(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "destroy", "Remove what a manifest made gpucfg manage, restoring what was there "
                 "before; touches nothing gpucfg does not own");
  struct Opts {
    std::string manifest, root = "/";
    bool yes = false, dry_run = false, detailed = false;
    int wait_s = 0;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("manifest", o->manifest, "Manifest file")->required();
  state_options(cmd, o->root, o->wait_s);
  cmd->add_flag("-y,--yes", o->yes, "Do not ask for confirmation");
  cmd->add_flag("-n,--dry-run", o->dry_run, "Only show what would be removed and restored");
  cmd->add_flag("--detailed-exitcode", o->detailed,
                "With --dry-run: exit 0 for nothing to remove, 2 for changes, 1 for errors");
  cmd->callback([o, &exit_code] {
    Context ctx;
    auto loaded = manifest::load(o->manifest, ctx.sources, ctx.diags);
    const yaml::Value* meta = loaded.tree ? loaded.tree->find("metadata") : nullptr;
    const yaml::Value* name = meta ? meta->find("name") : nullptr;
    if (!name || !name->is_scalar()) {
      print_diagnostics(ctx);
      std::cerr << "gpucfg: cannot read metadata.name from " << o->manifest << "\n";
      exit_code = k_error;
      return;
    }
    if (o->dry_run) {
      // Reads the records only: no lock, no recovery, nothing written (Ansible's check mode).
      exec::StateStore store(o->root);
      auto p = exec::destroy_plan(store, name->scalar);
      std::cout << plan::render_text(p, false);
      exit_code = p.has_errors() ? k_error : o->detailed && p.has_changes() ? k_changes : k_ok;
      return;
    }
    Session s;
    if (!begin(s, o->root, "destroy " + name->scalar, o->wait_s)) {
      exit_code = k_error;
      return;
    }
    exit_code = run(*s.store, exec::destroy_plan(*s.store, name->scalar), o->yes, true);
  });
}

void add_history(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("history", "List the generations gpucfg recorded");
  auto root = std::make_shared<std::string>("/");
  cmd->add_option("--root", *root, "The machine under this folder")->check(CLI::ExistingDirectory);
  cmd->callback([root, &exit_code] {
    exec::StateStore store(*root);
    auto current = store.current();
    if (current.number == 0) std::cout << "no generations yet\n";
    for (const auto& g : store.history())
      std::cout << (g.number == current.number ? "* " : "  ") << g.number << "  " << g.created
                << "  " << g.manifest << "  " << g.entries.size() << " managed path(s)\n";
    exit_code = k_ok;
  });
}

void add_gc(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "gc", "Free the kept trees and blobs that no kept generation needs for rollback");
  struct Opts {
    std::string root = "/";
    int keep = -1, wait_s = 0;
    bool dry_run = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--keep", o->keep,
                  "Forget all but the newest N generations first (rollback to them is then "
                  "refused; rollback to 0 stays possible)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("-n,--dry-run", o->dry_run, "Only say what would be freed");
  state_options(cmd, o->root, o->wait_s);
  cmd->footer("\nExamples:\n  gpucfg gc --dry-run\n  gpucfg gc --keep 3\n");
  cmd->callback([o, &exit_code] {
    Session s;
    if (!begin(s, o->root, "gc", o->wait_s)) {
      exit_code = k_error;
      return;
    }
    auto r = exec::collect_garbage(*s.store, o->keep, o->dry_run);
    std::string verb = o->dry_run ? "Would free " : "Freed ";
    std::vector<std::string> forgotten;
    for (int g : r.forgotten)
      forgotten.push_back(std::to_string(g));
    if (!forgotten.empty())
      std::cout << (o->dry_run ? "Would forget" : "Forgot") << " generation(s) "
                << util::join(forgotten, ", ") << ".\n";
    std::cout << verb << util::megabytes(r.bytes) << ": " << r.trees.size() << " kept tree(s), "
              << r.blobs << " blob(s).\n";
    for (const auto& e : r.errors)
      std::cerr << "gpucfg: could not remove " << e << "\n";
    exit_code = r.errors.empty() ? k_ok : k_error;
  });
}

} // namespace gpucfg::cli
