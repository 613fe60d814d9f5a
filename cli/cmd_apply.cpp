// gpucfg apply / rollback / destroy / history / gc: the flags, the prompt and the printing. The
// runs themselves are the engine's (session/run.hpp): lock, recovery, planning, fetching, the
// transaction and verification happen there, the same for every front end.
#include "disk/real_disk.hpp"
#include "exec/state.hpp"
#include "manifest/loader.hpp"
#include "plan/render.hpp"
#include "plan_common.hpp"
#include "session/run.hpp"
#include "util/os.hpp"
#include "util/strings.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

namespace gpucfg::cli {
namespace {

// The CLI's side of a run: the plan printed, a person asked (or --yes), notes to stderr.
class Terminal : public StderrReporter, public session::RunReporter {
public:
  explicit Terminal(bool yes) : m_yes(yes) {}
  void error(const std::string& m) override { StderrReporter::error(m); }
  void warning(const std::string& m) override { StderrReporter::warning(m); }
  void progress(const source::Progress& p) override { StderrReporter::progress(p); }
  void waiting(const std::string& holder, int seconds) override {
    // Waiting is worth a word: who is ahead, and for how long this one waits.
    std::cerr << "gpucfg: waiting up to " << seconds << " s for the lock, held by " << holder
              << "\n";
  }
  void note(const std::string& m) override { std::cerr << "gpucfg: " << m << "\n"; }
  void plan(const plan::Plan& p) override { std::cout << plan::render_text(p, false); }
  bool confirm(const plan::Plan&) override {
    if (m_yes) return true;
    if (!util::is_terminal(0)) {
      std::cerr << "gpucfg: not a terminal; pass --yes to apply without a prompt\n";
      return false;
    }
    std::cout << "Apply these changes? Only 'yes' is accepted: " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    return answer == "yes";
  }

private:
  bool m_yes;
};

// The lines every run that changed something ends with; the exit code of its outcome.
int finish(const session::RunResult& r) {
  using session::Outcome;
  if (r.outcome == Outcome::changed) {
    std::cout << "Applied: generation " << r.generation << " (" << r.changes << " change(s)).\n";
    for (const auto& line : r.said)
      std::cout << "  " << line << "\n";
  }
  return r.outcome == Outcome::changed || r.outcome == Outcome::unchanged ? k_ok : k_error;
}

// The options of every command that changes gpucfg's state: which machine, how long to wait.
void state_options(CLI::App* cmd, session::RunOptions& o) {
  cmd->add_option("--root", o.root, "The machine under this folder")->check(CLI::ExistingDirectory);
  cmd->add_option("--lock-timeout", o.lock_timeout_s, "Seconds to wait for the lock");
}

} // namespace

void add_apply(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "apply", "Make the machine match a manifest (or a saved plan), as one transaction: "
               "staged, fsynced, renamed into place, recorded; undone on failure");
  struct Opts {
    session::ApplyRequest req;
    bool yes = false, no_verify = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_flag("--no-verify", o->no_verify, "Skip the manifest's verify level after a change");
  cmd->add_option("manifest", o->req.plan.manifest,
                  "Manifest file, or a plan saved with `gpucfg plan --out`")
      ->required();
  cmd->add_option("--root", o->req.plan.root, "Apply to the machine under this folder")
      ->check(CLI::ExistingDirectory);
  cmd->add_flag("-y,--yes", o->yes, "Do not ask for confirmation");
  cmd->add_flag("--checksum", o->req.plan.checksum,
                "Compare files and trees by content, as `plan --checksum` does, and repair what "
                "differs (store entries are checked by content before use too)");
  add_source_flags(*cmd, o->req.plan);
  cmd->add_option("--lock-timeout", o->req.lock_timeout_s,
                  "Seconds to wait for another gpucfg holding the lock (default 0)");
  cmd->footer("\nExamples:\n  gpucfg apply --yes examples/local-cuda-13.0.yaml\n"
              "  gpucfg plan --out p.json m.yaml && gpucfg apply p.json\n");
  cmd->callback([o, &exit_code] {
    std::string bad;
    o->req.saved_plan = session::read_saved_plan(o->req.plan.manifest, &bad).has_value() ||
                        !bad.empty();
    o->req.verify = !o->no_verify;
    Terminal term(o->yes);
    Context ctx;
    auto r = session::apply(o->req, ctx, term);
    print_diagnostics(ctx);
    exit_code = finish(r);
    if (!r.verified) return;
    for (const auto& v : r.verified->results)
      if (v.outcome != "pass")
        std::cout << (v.outcome == "fail" ? "FAIL    " : "not-run ") << v.level << ": " << v.check
                  << ": " << v.detail << "\n";
    std::cout << "Verify (" << r.verify_level << "): " << r.verified->count("pass") << " passed, "
              << r.verified->count("fail") << " failed, " << r.verified->count("not-run")
              << " not run.\n";
    if (r.verified->count("fail")) exit_code = k_verify_failed;
  });
}

void add_rollback(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("rollback",
                                 "Put every managed path back as an earlier generation recorded it "
                                 "(a new generation; files byte for byte, links and env included)");
  struct Opts {
    session::RunOptions run;
    int to = -1;
    bool yes = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option(
      "--to", o->to,
      "Generation to go back to (default: the one before the current; 0: before gpucfg)");
  state_options(cmd, o->run);
  cmd->add_flag("-y,--yes", o->yes, "Do not ask for confirmation");
  cmd->footer("\nExamples:\n  gpucfg rollback --yes\n  gpucfg rollback --to 3 --yes\n");
  cmd->callback([o, &exit_code] {
    Terminal term(o->yes);
    exit_code = finish(session::rollback(o->run, o->to, term));
  });
}

void add_destroy(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "destroy", "Remove what a manifest made gpucfg manage, restoring what was there "
                 "before; touches nothing gpucfg does not own");
  struct Opts {
    session::RunOptions run;
    std::string manifest;
    bool yes = false, dry_run = false, detailed = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("manifest", o->manifest, "Manifest file")->required();
  state_options(cmd, o->run);
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
    Terminal term(o->yes);
    auto r = session::destroy(o->run, name->scalar, o->dry_run, term);
    if (o->dry_run) {
      bool changes = r.plan && r.plan->has_changes();
      exit_code = r.outcome == session::Outcome::refused ? k_error
                  : o->detailed && changes               ? k_changes
                                                         : k_ok;
      return;
    }
    exit_code = finish(r);
  });
}

void add_history(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("history", "List the generations gpucfg recorded");
  auto root = std::make_shared<std::string>("/");
  cmd->add_option("--root", *root, "The machine under this folder")->check(CLI::ExistingDirectory);
  cmd->callback([root, &exit_code] {
    exec::StateStore store(disk::real_disk(), *root);
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
      "gc", "Free what no kept generation needs: state blobs, and the store's trees and "
            "downloads that no kept generation of any root names, and its caches");
  struct Opts {
    session::RunOptions run;
    int keep = -1;
    bool dry_run = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--keep", o->keep,
                  "Forget all but the newest N generations first (rollback to them is then "
                  "refused; rollback to 0 stays possible)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("-n,--dry-run", o->dry_run, "Only say what would be freed");
  state_options(cmd, o->run);
  cmd->footer("\nExamples:\n  gpucfg gc --dry-run\n  gpucfg gc --keep 3\n");
  cmd->callback([o, &exit_code] {
    Terminal term(true);
    auto r = session::gc(o->run, o->keep, o->dry_run, term);
    if (!r.ok && r.report.errors.empty()) {
      exit_code = k_error;
      return;
    }
    const auto& g = r.report;
    std::vector<std::string> forgotten;
    for (int n : g.forgotten)
      forgotten.push_back(std::to_string(n));
    if (!forgotten.empty())
      std::cout << (o->dry_run ? "Would forget" : "Forgot") << " generation(s) "
                << util::join(forgotten, ", ") << ".\n";
    std::cout << (o->dry_run ? "Would free " : "Freed ") << util::megabytes(g.bytes) << ": "
              << g.store.trees << " store tree(s), " << g.store.artifacts << " download(s), "
              << g.store.caches << " cache entr" << (g.store.caches == 1 ? "y" : "ies") << ", "
              << g.blobs << " blob(s).\n";
    for (const auto& e : g.errors)
      std::cerr << "gpucfg: could not remove " << e << "\n";
    exit_code = g.errors.empty() ? k_ok : k_error;
  });
}

} // namespace gpucfg::cli
