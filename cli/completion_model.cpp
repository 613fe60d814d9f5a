// Reads the CLI11 tree into a ProgramSpec: what each command takes and what its values may be.
// The kinds come from what the options already declare (CLI::ExistingDirectory prints DIR, an
// IsMember list prints {a,b}, path options say PATH), so a new flag completes with no edit here.
#include "completion.hpp"
#include "util/strings.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>

namespace gpucfg::cli {
namespace {

bool is_manifest_name(const std::string& name) {
  for (const char* n : {"manifest", "manifests", "file", "files", "old", "new"})
    if (name == n) return true;
  return false;
}

ArgSpec arg_spec(const CLI::Option& opt) {
  ArgSpec a;
  bool positional = !opt.nonpositional();
  if (positional) {
    a.names.push_back(opt.get_name(true, false));
  } else {
    for (const auto& s : opt.get_snames())
      a.names.push_back("-" + s);
    for (const auto& l : opt.get_lnames())
      a.names.push_back("--" + l);
  }
  a.help = opt.get_description();
  a.required = opt.get_required();
  a.repeatable = opt.get_items_expected_max() > 1;
  if (!positional && opt.get_expected_max() == 0) return a; // a flag: no value
  std::string type = opt.get_type_name();
  a.metavar = type.substr(0, type.find(':'));
  auto open = type.find('{'), close = type.find('}');
  if (open != std::string::npos && close != std::string::npos && close > open) {
    a.kind = ValueKind::choice;
    a.choices = util::split(type.substr(open + 1, close - open - 1), ',');
  } else if (positional && is_manifest_name(a.names.front())) {
    a.kind = ValueKind::manifest; // before FILE: `lock` checks that its manifest exists
  } else if (type.find("DIR") != std::string::npos) {
    a.kind = ValueKind::dir;
  } else if (type.find("FILE") != std::string::npos || type.find("PATH") != std::string::npos) {
    a.kind = ValueKind::path;
  } else {
    a.kind = ValueKind::text;
  }
  return a;
}

void read_options(const CLI::App& app, std::vector<ArgSpec>* options,
                  std::vector<ArgSpec>* positionals) {
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_group().empty()) continue; // hidden
    auto a = arg_spec(*opt);
    (opt->nonpositional() ? options : positionals)->push_back(std::move(a));
  }
}

} // namespace

ProgramSpec describe(const CLI::App& app) {
  ProgramSpec p;
  p.name = "gpucfg"; // not argv[0]: the scripts complete the installed command
  p.help = app.get_description();
  p.footer = app.get_footer();
  std::vector<ArgSpec> none;
  read_options(app, &p.options, &none);
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_group().empty()) continue; // hidden (manpage)
    CommandSpec c;
    c.name = sub->get_name();
    c.help = sub->get_description();
    c.footer = sub->get_footer();
    read_options(*sub, &c.options, &c.positionals);
    p.commands.push_back(std::move(c));
  }
  return p;
}

} // namespace gpucfg::cli
