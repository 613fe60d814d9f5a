// gpucfg show FILE: the resolved manifest for review.
#include "common.hpp"
#include "manifest/check.hpp"
#include "manifest/render.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

namespace gpucfg::cli {

void add_show(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "show", "Print the resolved manifest: extends merged, variables expanded, "
              "conditions applied, each value with the file and line it came from");
  struct Opts {
    std::string file, platform, format = "yaml";
    bool no_origins = false;
  };
  auto opts = std::make_shared<Opts>();
  cmd->add_option("file", opts->file, "Manifest file")->required();
  cmd->add_option(
      "--platform", opts->platform,
      "Resolve for this platform (default: this machine's, if the manifest supports it, "
      "else the first it declares)");
  cmd->add_option("--format", opts->format, "yaml or json")->check(CLI::IsMember({"yaml", "json"}));
  cmd->add_flag("--no-origins", opts->no_origins,
                "Leave out the '# file:line:col' origin comments");
  cmd->footer("\nExamples:\n  gpucfg show manifests/tf-2.5.yaml\n"
              "  gpucfg show --platform windows-x86_64 --format json manifests/tf-2.5.yaml\n");
  cmd->callback([opts, &exit_code] {
    Context ctx;
    auto kb = load_knowledge(ctx);
    if (!kb) {
      exit_code = k_error;
      return;
    }
    std::vector<std::string> platforms;
    if (!opts->platform.empty()) {
      platforms.push_back(opts->platform);
    } else {
      // The host when the manifest supports it, else the first platform it declares.
      util::Diagnostics scratch;
      auto loaded = manifest::load(opts->file, ctx.sources, scratch);
      auto declared =
          loaded.tree ? manifest::declared_platforms(*loaded.tree) : std::vector<std::string>{};
      const std::string& host = platform::host().id();
      bool host_ok =
          declared.empty() || std::find(declared.begin(), declared.end(), host) != declared.end();
      platforms.push_back(host_ok ? host : declared.front());
    }
    auto checked = manifest::check(opts->file, platforms, *kb, ctx.sources, ctx.diags);
    print_diagnostics(ctx);
    if (ctx.diags.has_errors() || checked.stacks.empty()) {
      exit_code = k_error;
      return;
    }
    auto rendered = manifest::resolve_for_show(checked.stacks.front());
    if (opts->format == "json")
      std::cout << manifest::to_json(rendered).dump(2) << "\n";
    else
      std::cout << manifest::to_yaml(rendered, !opts->no_origins);
    exit_code = k_ok;
  });
}

} // namespace gpucfg::cli
