// gpucfg verify MANIFEST: prove the stack works, level by level; pass, fail or not-run.
#include "common.hpp"
#include "knowledge/knowledge.hpp"
#include "manifest/check.hpp"
#include "probe/probe.hpp"
#include "store/store.hpp"
#include "util/os.hpp"
#include "session/run.hpp"
#include "verify/verify.hpp"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

namespace gpucfg::cli {

verify::Options verify_options(const std::string& level) {
  return session::verify_options(level);
}

void add_load_probe(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("__load-probe", "Load one library and report it (verify's child)")
                  ->group("");
  auto args = std::make_shared<std::vector<std::string>>();
  cmd->add_option("path_and_stem", *args)->expected(2)->required();
  cmd->callback([args, &exit_code] {
    std::cout << verify::load_probe((*args)[0], (*args)[1]).dump() << std::endl;
    exit_code = k_ok;
  });
}

void add_verify(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "verify", "Prove the stack works: static checks, loading its libraries, compiled "
                "CUDA/cuDNN workloads run on the GPU, the framework; pass/fail/not-run");
  struct Opts {
    std::string manifest, root = "/", level;
    bool json = false, fresh = false;
    unsigned jobs = 0;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("manifest", o->manifest, "Manifest file")->required();
  cmd->add_option("--level", o->level,
                  "static, load, compute or framework (default: the manifest's verify.level)")
      ->check(CLI::IsMember({"static", "load", "compute", "framework"}));
  cmd->add_option("--root", o->root,
                  "The machine under this folder (load and compute need the live machine)")
      ->check(CLI::ExistingDirectory);
  cmd->add_flag("--json", o->json, "Print the report as JSON");
  cmd->add_flag("--fresh", o->fresh,
                "Run every workload again, even when a passing result is cached");
  cmd->add_option("--jobs,-j", o->jobs, "Workloads compiled at once (default: one per core)");
  cmd->footer("\nExamples:\n  gpucfg verify examples/local-cuda-13.0.yaml\n"
              "  gpucfg verify --level static --json manifests/tf-2.5.yaml\n"
              "\nExit codes: 0 every check passed; 3 a check failed; 4 nothing failed but some "
              "checks could\n"
              "not run here (no GPU, no nvcc): a partial pass, never reported as a full one.\n");
  cmd->callback([o, &exit_code] {
    Context ctx;
    auto host = probe::make_local_host(o->root);
    probe::ProbeOptions po;
    po.cache_dir = store::default_dir(); // compiler versions: asked once per compiler file
    auto facts = probe::gather(*host, po);
    auto loaded = load_stack(ctx, o->manifest, facts.platform.id);
    if (!loaded) {
      exit_code = k_error;
      return;
    }
    const auto& stack = *loaded;
    verify::Options opts = verify_options(o->level.empty() ? stack.verify.level : o->level);
    opts.fresh = o->fresh;
    opts.jobs = o->jobs;
    auto report = verify::run(stack, facts, *host, opts);
    if (o->json) {
      std::cout << verify::to_json(report).dump(2) << "\n";
    } else {
      for (const auto& r : report.results)
        std::cout << (r.outcome == "pass"   ? "pass    "
                      : r.outcome == "fail" ? "FAIL    "
                                            : "not-run ")
                  << r.level << ": " << r.check << ": " << r.detail << "\n";
      std::cout << "Verify (" << opts.level << "): " << report.count("pass") << " passed, "
                << report.count("fail") << " failed, " << report.count("not-run") << " not run.\n";
    }
    exit_code = report.count("fail")      ? k_verify_failed
                : report.count("not-run") ? k_verify_partial
                                          : k_ok;
  });
}

} // namespace gpucfg::cli
