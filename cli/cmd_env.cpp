// gpucfg env MANIFEST --shell bash|zsh|fish: activation lines for the current shell.
#include "common.hpp"
#include "manifest/check.hpp"
#include "plan/env_render.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

namespace gpucfg::cli {

void add_env(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "env", "Print the manifest's environment as lines for a shell (eval them)");
  struct Opts {
    std::string manifest, shell = "bash";
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("manifest", o->manifest, "Manifest file")->required();
  cmd->add_option("--shell", o->shell, "bash, zsh or fish")
      ->check(CLI::IsMember({"bash", "zsh", "sh", "fish"}));
  cmd->footer("\nExamples:\n  eval \"$(gpucfg env manifests/tf-2.5.yaml)\"\n"
              "  gpucfg env --shell fish manifests/tf-2.5.yaml | source\n");
  cmd->callback([o, &exit_code] {
    Context ctx;
    auto stack = load_stack(ctx, o->manifest, platform::host().id());
    if (!stack) {
      exit_code = k_error;
      return;
    }
    std::cout << plan::render_activation(stack->env, o->shell);
    exit_code = k_ok;
  });
}

} // namespace gpucfg::cli
