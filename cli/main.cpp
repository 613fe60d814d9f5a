// gpucfg: a thin front over the engine library. Each subcommand lives in its own cmd_*.cpp.
#include "common.hpp"
#include "completion.hpp"
#include "util/build_info.hpp"
#include "util/os.hpp"
#include "util/strings.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>

int main(int argc, char** argv) {
  using namespace gpucfg::cli;
  gpucfg::util::binary_stdio();
  CLI::App app{"gpucfg: declarative configuration of GPU machine-learning stacks"};
  app.set_version_flag("--version", std::string("gpucfg ") + gpucfg::util::version());
  app.require_subcommand(1);
  // CLI11 reads /name as an option on Windows by default; gpucfg's options are --name
  // everywhere, and /path/to/manifest.yaml stays a path.
  app.allow_windows_style_options(false);
  app.footer(
      "\nExamples:\n"
      "  gpucfg validate manifests/*.yaml              check manifests without touching the "
      "machine\n"
      "  gpucfg show manifests/tf-2.5.yaml             the resolved manifest, each value's origin\n"
      "  gpucfg facts                                  driver, GPUs, toolkits, cuDNN copies here\n"
      "  gpucfg why libcudnn.so.9                      which file the loader opens, and why\n"
      "  gpucfg plan examples/local-cuda-13.0.yaml     what apply would change, and why\n"
      "  gpucfg apply --yes examples/local-cuda-13.0.yaml\n"
      "  gpucfg verify examples/local-cuda-13.0.yaml   compiled cuDNN/CUDA workloads prove it\n"
      "  gpucfg fetch examples/tf-2.16-wheels.yaml     every archive into the cache, for later\n"
      "  gpucfg capture /usr/local/cuda-13.0 --out M   a working install as archives + manifest\n"
      "\nExit codes: 0 success; 1 error (nothing changed); 2 plan --detailed-exitcode: changes;\n"
      "3 verify: a check failed; 4 verify: passed what could run; 64 bad command line.\n"
      "Run 'gpucfg <command> --help' for a command's options.\n");
  int exit_code = k_ok;
  add_validate(app, exit_code);
  add_show(app, exit_code);
  add_facts(app, exit_code);
  add_why(app, exit_code);
  add_plan(app, exit_code);
  add_diff(app, exit_code);
  add_review(app, exit_code);
  add_lock(app, exit_code);
  add_apply(app, exit_code);
  add_rollback(app, exit_code);
  add_destroy(app, exit_code);
  add_history(app, exit_code);
  add_gc(app, exit_code);
  add_env(app, exit_code);
  add_verify(app, exit_code);
  add_load_probe(app, exit_code);
  add_fetch(app, exit_code);
  add_capture(app, exit_code);
  add_completion(app, exit_code);
  // "gpucfg bogus": CLI11 would say only that a subcommand is required.
  if (argc > 1 && argv[1][0] != '-') {
    std::vector<std::string> names;
    for (const auto* sub : app.get_subcommands([](CLI::App*) { return true; }))
      names.push_back(sub->get_name());
    if (std::find(names.begin(), names.end(), argv[1]) == names.end()) {
      std::cerr << "gpucfg: unknown command '" << argv[1] << "'"
                << gpucfg::util::did_you_mean(argv[1], names)
                << " (commands: " << gpucfg::util::join(names, ", ") << ")\n";
      return k_usage;
    }
  }
  try {
    // CLI11 takes the arguments last first, without the program's name.
    auto args = gpucfg::util::utf8_arguments(argc, argv);
    std::vector<std::string> reversed(args.rbegin(), args.rend() - (args.empty() ? 0 : 1));
    app.parse(reversed);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return k_usage;
  }
  return exit_code;
}
