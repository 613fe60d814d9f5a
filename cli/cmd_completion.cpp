// gpucfg completion SHELL, and the hidden gpucfg manpage the build runs for the package.
#include "common.hpp"
#include "completion.hpp"
#include "util/build_info.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

namespace gpucfg::cli {

void add_completion(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "completion", "Print a shell completion script (commands, flags, their values, manifests)");
  auto shell = std::make_shared<std::string>();
  cmd->add_option("shell", *shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  cmd->footer("\nExamples:\n  source <(gpucfg completion bash)\n"
              "  gpucfg completion zsh > \"${fpath[1]}/_gpucfg\"\n"
              "  gpucfg completion fish > ~/.config/fish/completions/gpucfg.fish\n"
              "Packages install all three where each shell looks.\n");
  // Read the tree when the command runs: by then every command is registered.
  cmd->callback([&app, shell, &exit_code] {
    auto spec = describe(app);
    std::cout << (*shell == "bash"  ? render_bash(spec)
                  : *shell == "zsh" ? render_zsh(spec)
                                    : render_fish(spec));
    exit_code = k_ok;
  });

  auto* man = app.add_subcommand("manpage", "Print the man page (roff)")->group("");
  man->callback([&app, &exit_code] {
    std::cout << render_man(describe(app), util::version());
    exit_code = k_ok;
  });
}

} // namespace gpucfg::cli
