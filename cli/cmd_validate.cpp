// gpucfg validate FILE…: every check that needs no machine, for each platform a manifest declares.
#include "common.hpp"
#include "manifest/check.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

namespace gpucfg::cli {

void add_validate(CLI::App& app, int& exit_code) {
  auto* cmd =
      app.add_subcommand("validate", "Check manifests: syntax, types, keys, versions, references, "
                                     "and compatibility facts that need no machine");
  struct Opts {
    std::vector<std::string> files, platforms;
    bool strict = false, quiet = false;
  };
  auto opts = std::make_shared<Opts>();
  cmd->add_option("files", opts->files, "Manifest files")->required();
  cmd->add_option(
         "--platform", opts->platforms,
         "Check for this platform (repeatable; default: the platforms each manifest declares)")
      ->allow_extra_args(false);
  cmd->add_flag("--strict", opts->strict, "Treat warnings as errors");
  cmd->add_flag("-q,--quiet", opts->quiet, "Print problems only, no summary");
  cmd->footer("\nExamples:\n  gpucfg validate manifests/*.yaml\n"
              "  gpucfg validate --platform windows-x86_64 manifests/tf-2.5.yaml\n");
  cmd->callback([opts, &exit_code] {
    Context ctx;
    auto kb = load_knowledge(ctx);
    if (!kb) {
      exit_code = k_error;
      return;
    }
    std::size_t bad = 0;
    for (const auto& file : opts->files) {
      std::size_t errors = ctx.diags.error_count(), warnings = ctx.diags.warning_count();
      manifest::check(file, opts->platforms, *kb, ctx.sources, ctx.diags);
      bool failed = ctx.diags.error_count() > errors ||
                    (opts->strict && ctx.diags.warning_count() > warnings);
      bad += failed ? 1 : 0;
    }
    print_diagnostics(ctx);
    if (!opts->quiet)
      std::cout << opts->files.size() << " manifest(s) checked: " << (opts->files.size() - bad)
                << " valid, " << bad << " invalid, " << ctx.diags.error_count() << " error(s), "
                << ctx.diags.warning_count() << " warning(s)\n";
    exit_code = bad ? k_error : k_ok;
  });
}

} // namespace gpucfg::cli
