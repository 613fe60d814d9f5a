#include "common.hpp"

#include "manifest/check.hpp"

#include <iostream>

namespace gpucfg::cli {

std::optional<knowledge::Knowledge> load_knowledge(Context& ctx) {
  auto kb = knowledge::Knowledge::load(knowledge::data_dir(), ctx.sources, ctx.diags);
  if (!kb) {
    print_diagnostics(ctx);
    std::cerr << "gpucfg: cannot read the knowledge base in " << knowledge::data_dir()
              << "/knowledge (set GPUCFG_DATA_DIR to the folder holding knowledge/)\n";
  }
  return kb;
}

void print_diagnostics(const Context& ctx) {
  std::cerr << ctx.diags.render(ctx.sources);
}

std::optional<manifest::Stack> load_stack(Context& ctx, const std::string& file,
                                          const std::string& platform) {
  auto kb = load_knowledge(ctx);
  if (!kb) return std::nullopt;
  auto checked = manifest::check(file, {platform}, *kb, ctx.sources, ctx.diags);
  print_diagnostics(ctx);
  if (ctx.diags.has_errors() || checked.stacks.empty()) return std::nullopt;
  return std::move(checked.stacks.front());
}

} // namespace gpucfg::cli
