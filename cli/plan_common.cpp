#include "plan_common.hpp"

#include "util/os.hpp"
#include "util/strings.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

namespace gpucfg::cli {

void StderrReporter::error(const std::string& message) {
  std::cerr << "gpucfg: " << message << "\n";
}

void StderrReporter::warning(const std::string& message) {
  std::cerr << "gpucfg: warning: " << message << "\n";
}

void StderrReporter::progress(const source::Progress& p) {
  static const bool tty = util::is_terminal(2);
  static std::string last;
  if (!tty) {
    if (p.finished)
      std::cerr << "gpucfg: downloaded " << p.name << " (" << util::megabytes(p.done) << ")\n";
    else if (last != p.url)
      std::cerr << "gpucfg: downloading " << p.name << " from " << p.url << "\n";
    last = p.url;
    return;
  }
  // Several downloads at once share one line: the batch's bytes and files.
  bool batch = p.files_total > 1;
  std::uint64_t done = batch ? p.all_done : p.done, total = batch ? p.all_total : p.total;
  int pct = total ? static_cast<int>(100 * done / total) : 0;
  std::string bar(static_cast<std::size_t>(pct / 4), '#');
  bar.resize(25, '.');
  std::string what = batch ? std::to_string(p.files_done) + "/" + std::to_string(p.files_total) +
                                 " files"
                           : p.name;
  bool last_one = batch ? p.files_done == p.files_total : p.finished;
  std::cerr << "\r  " << what << " [" << bar << "] " << pct << "% " << util::megabytes(done)
            << "   " << (last_one ? "\n" : "") << std::flush;
}

void add_source_flags(CLI::App& cmd, PlanRequest& req) {
  cmd.add_flag("--allow-unpinned", req.allow_unpinned,
               "Accept archives and wheels without a sha256 pin (their hash is printed)");
  cmd.add_flag("--offline", req.offline,
               "Download nothing: archives must be in the cache or local (also GPUCFG_OFFLINE=1)");
}

std::optional<Planned> make_plan(const PlanRequest& req, Context& ctx) {
  StderrReporter report;
  auto planned = session::make_plan(req, ctx, report);
  print_diagnostics(ctx);
  return planned;
}

} // namespace gpucfg::cli
