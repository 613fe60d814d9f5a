#include "common.hpp"

#include "manifest/check.hpp"
#include "plan_common.hpp"

#include <iostream>

namespace gpucfg::cli {

std::optional<knowledge::Knowledge> load_knowledge(Context& ctx) {
  StderrReporter report;
  auto kb = session::load_knowledge(ctx, report);
  if (!kb) print_diagnostics(ctx);
  return kb;
}

void print_diagnostics(const Context& ctx) {
  std::cerr << ctx.diags.render(ctx.sources);
}

std::optional<manifest::Stack> load_stack(Context& ctx, const std::string& file,
                                          const std::string& platform) {
  StderrReporter report;
  auto stack = session::load_stack(file, platform, ctx, report);
  print_diagnostics(ctx);
  return stack;
}

} // namespace gpucfg::cli
