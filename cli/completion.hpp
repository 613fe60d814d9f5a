// Shell completions and the man page, generated from the command line itself (the CLI11 tree), so
// they cannot drift from the flags: `gpucfg completion bash|zsh|fish`, and the build runs
// `gpucfg manpage` to make gpucfg.1 for the package.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace gpucfg::cli {

// What a shell may offer for a value: nothing to suggest, any path, a folder, a manifest (or a
// saved plan: *.yaml, *.yml, *.json), or one of a fixed list.
enum class ValueKind { none, text, path, dir, manifest, choice };

struct ArgSpec {
  std::vector<std::string> names; // "-y", "--yes"; for a positional its name ("manifest")
  std::string metavar;            // "DIR", "TEXT", …, as --help prints it
  ValueKind kind = ValueKind::none;
  std::vector<std::string> choices;
  std::string help;
  bool repeatable = false, required = false;
};

struct CommandSpec {
  std::string name, help, footer;
  std::vector<ArgSpec> options, positionals;
};

struct ProgramSpec {
  std::string name, help, footer;
  std::vector<ArgSpec> options; // --help, --version
  std::vector<CommandSpec> commands;
};

// The visible commands of `app`, their options and positionals, with what each value may be.
ProgramSpec describe(const CLI::App& app);

std::string render_bash(const ProgramSpec& p);
std::string render_zsh(const ProgramSpec& p);
std::string render_fish(const ProgramSpec& p);
// roff (man(7)); `version` goes in the title line.
std::string render_man(const ProgramSpec& p, const std::string& version);

void add_completion(CLI::App& app, int& exit_code);

} // namespace gpucfg::cli
