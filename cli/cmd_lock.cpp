// gpucfg lock MANIFEST: what the manifest resolves to, per platform, written beside it.
#include "plan_common.hpp"
#include "session/lockfile.hpp"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace gpucfg::cli {

void add_lock(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "lock", "Write MANIFEST's lock beside it (<name>.lock.json): every archive and wheel it "
              "resolves to, per platform, with its pin; plan and apply then hold to it");
  struct Opts {
    std::string manifest;
    std::vector<std::string> platforms;
    bool update = false;
    PlanRequest req;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("manifest", o->manifest, "Manifest file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--platform", o->platforms,
                  "Lock for this platform (repeatable; default: every platform it declares)")
      ->allow_extra_args(false);
  cmd->add_flag("--update", o->update, "Rewrite a lock that no longer matches");
  add_source_flags(*cmd, o->req);
  cmd->footer("\nWithout --update, an existing lock is only compared: exit 0 when it matches, 1 "
              "(with the reason) when it does not, so CI can check that locks are current.\n"
              "\nExamples:\n  gpucfg lock manifests/tf-2.16.yaml\n"
              "  gpucfg lock --update stacks/train.yaml && git diff stacks/train.lock.json\n");
  cmd->callback([o, &exit_code] {
    Context ctx;
    StderrReporter report;
    auto lock = session::make_lock(o->manifest, o->platforms, o->req, ctx, report);
    print_diagnostics(ctx);
    if (!lock) {
      exit_code = k_error;
      return;
    }
    std::string path = session::lock_path(o->manifest), text = session::lock_json_text(*lock);
    std::error_code ec;
    if (std::filesystem::exists(path, ec) && !o->update) {
      std::ifstream in(path);
      std::stringstream now;
      now << in.rdbuf();
      if (now.str() == text) {
        std::cout << path << " is up to date.\n";
        exit_code = k_ok;
      } else {
        std::cerr << "gpucfg: " << path << " does not match what " << o->manifest
                  << " resolves to now; `gpucfg lock --update " << o->manifest
                  << "` rewrites it (review the change)\n";
        exit_code = k_error;
      }
      return;
    }
    std::string tmp = path + ".tmp";
    {
      std::ofstream f(tmp);
      f << text;
      if (!f) {
        std::cerr << "gpucfg: cannot write " << tmp << "\n";
        exit_code = k_error;
        return;
      }
    }
    std::filesystem::rename(tmp, path, ec); // whole or not at all
    if (ec) {
      std::cerr << "gpucfg: cannot write " << path << ": " << ec.message() << "\n";
      exit_code = k_error;
      return;
    }
    std::size_t n = 0;
    for (const auto& [id, pl] : lock->platforms)
      n += pl.artifacts.size();
    std::cout << "Wrote " << path << ": " << n << " artifact(s) over " << lock->platforms.size()
              << " platform(s).\n";
    exit_code = k_ok;
  });
}

} // namespace gpucfg::cli
