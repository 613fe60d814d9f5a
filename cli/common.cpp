#include "common.hpp"

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

} // namespace gpucfg::cli
