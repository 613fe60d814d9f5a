// gpucfg facts: what this machine's GPU stack is, each fact with its evidence. Read-only.
#include "common.hpp"
#include "probe/probe.hpp"
#include "session/planning.hpp"
#include "store/store.hpp"
#include "util/strings.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

namespace gpucfg::cli {
namespace {

void print_text(const probe::Facts& f, std::ostream& out) {
  const auto& p = f.platform;
  out << "platform   " << p.id << " ("
      << (p.distro.empty() ? p.os : p.distro + " " + p.distro_version)
      << (p.kernel.empty() ? "" : ", kernel " + p.kernel) << ")\n";
  if (f.root != "/") out << "root       " << f.root << "\n";
  const auto& d = f.driver;
  if (d.present) {
    out << "driver     " << d.version << (d.max_cuda.empty() ? "" : ", runs CUDA <= " + d.max_cuda)
        << (d.kernel_module.empty() ? "" : ", " + d.kernel_module + " kernel module") << "  ["
        << d.evidence << "]\n";
    for (const auto& g : d.gpus)
      out << "gpu " << g.index << "      " << g.name << ", sm_" << g.compute_capability << ", "
          << g.memory_bytes / (1024 * 1024) << " MiB, " << g.uuid << "\n";
  } else {
    out << "driver     none (" << d.absent_reason << ")\n";
  }
  if (!d.packages.empty()) {
    std::string list;
    for (const auto& pk : d.packages)
      list += (list.empty() ? "" : ", ") + pk.name + " " + pk.version +
              (pk.state == "installed" ? "" : " (" + pk.state + ")");
    out << "             packages install "
        << (d.installed_version.empty() ? "none" : d.installed_version)
        << (d.reboot_needed ? ", not the loaded one: a reboot loads it" : "") << "  [dpkg: " << list
        << "]\n";
  }
  for (const auto& t : f.toolkits) {
    out << "toolkit    " << t.realpath << (t.path != t.realpath ? " (as " + t.path + ")" : "")
        << "\n";
    out << "             version " << (t.version.empty() ? "unknown" : t.version) << "  ["
        << t.version_evidence << "]\n";
    for (std::size_t i = 1; i < t.readings.size(); ++i)
      out << "             also " << t.readings[i].value << "  [" << t.readings[i].evidence
          << "]\n";
    std::string comps;
    for (const auto& c : t.components)
      comps += (comps.empty() ? "" : " ") + c;
    out << "             components " << comps << "\n";
    if (!t.compat_libcuda.empty())
      out << "             compat libcuda " << t.compat_version << " (" << t.compat_libcuda << ")"
          <<
          [&] {
            auto r = probe::compat_relation(t, f.driver);
            return r.empty() ? std::string() : ", " + r;
          }()
          << "\n";
  }
  for (const auto& s : f.selectors)
    out << "selector   " << s.name << " = " << s.value << " -> "
        << (s.toolkit.empty() ? "(no toolkit)" : s.toolkit) << "\n";
  for (const auto& c : f.cudnn) {
    out << "cudnn      " << (c.version.empty() ? "unknown" : c.version) << " in " << c.lib_dir
        << " (" << c.location << ")  [" << c.version_evidence << "]\n";
    for (const auto& pr : c.problems)
      out << "             problem: " << pr << "\n";
  }
  for (const auto& r : f.loader)
    out << "loader     " << r.name << " -> " << (r.chosen.empty() ? "(not found)" : r.chosen)
        << (r.candidates.empty() ? "" : "  [" + r.candidates.front().via + "]") << "\n";
  for (const auto& c : f.compilers)
    out << "compiler   " << c.name << " " << c.version << " (" << c.path << ")  [" << c.evidence
        << "]\n";
  for (const auto& interp : f.pythons)
    out << "python     " << interp.version << " (" << interp.path << ")  [" << interp.evidence
        << "]\n";
  for (const auto& py : f.frameworks) {
    out << "framework  " << py.interpreter
        << (py.python_version.empty() ? "" : " " + py.python_version)
        << (py.error.empty() ? "" : " (" + py.error + ")") << "\n";
    for (const auto& b : py.builds)
      out << "             " << b.name << " " << b.version
          << (b.error.empty() ? ", built for CUDA " + (b.cuda.empty() ? "none" : b.cuda) +
                                    ", cuDNN " + (b.cudnn.empty() ? "none" : b.cudnn) +
                                    (b.gpu_visible ? ", sees a GPU" : ", no GPU")
                              : ": import failed: " + b.error)
          << (b.libraries.empty() ? "" : "; loads " + util::join(b.libraries, ", ")) << "\n";
  }
  for (const auto& x : f.search)
    out << "search     " << x.name << " = " << x.value << "\n";
  if (f.managed.generation > 0) {
    std::size_t n = f.managed.record.value("entries", nlohmann::json::array()).size();
    out << "managed    generation " << f.managed.generation << ", " << n << " path(s)"
        << (f.managed.drifted.empty() ? ", all as recorded"
                                      : ", not as recorded: " + util::join(f.managed.drifted, ", "))
        << "\n";
  }
  for (const auto& w : f.warnings)
    out << "warning: " << w << "\n";
}

} // namespace

void add_facts(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "facts", "Read this machine's GPU stack: driver and GPUs, every CUDA toolkit, every "
               "cuDNN copy, which file the loader picks; read-only");
  struct Opts {
    bool json = false, frameworks = false;
    int timeout_s = 30;
    std::string root = "/";
    std::vector<std::string> libraries;
  };
  auto opts = std::make_shared<Opts>();
  cmd->add_flag(
      "--json", opts->json,
      "Print JSON (schemas/facts.schema.json); save it to plan for this machine elsewhere");
  cmd->add_option("--root", opts->root, "Read the machine under this folder instead of /")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--library", opts->libraries,
                  "Also explain how this library name resolves (repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag(
      "--frameworks", opts->frameworks,
      "Also ask each Python on PATH for its TensorFlow/PyTorch build (slow: imports them)");
  cmd->add_option("--timeout", opts->timeout_s,
                  "Seconds each Python may take with --frameworks (default 30)")
      ->check(CLI::Range(1, 600));
  cmd->footer("\nExamples:\n  gpucfg facts\n  gpucfg facts --json > host-facts.json\n"
              "  gpucfg facts --root /mnt/image --library libcudnn.so.8\n");
  cmd->callback([opts, &exit_code] {
    auto host = probe::make_local_host(opts->root);
    probe::ProbeOptions po;
    po.libraries = opts->libraries;
    po.frameworks = opts->frameworks;
    po.framework_timeout = std::chrono::seconds(opts->timeout_s);
    po.cache_dir = store::default_dir();
    auto facts = probe::gather(*host, po);
    session::gather_managed(*host, facts);
    if (opts->json)
      std::cout << probe::to_json(facts).dump(2) << "\n";
    else
      print_text(facts, std::cout);
    exit_code = k_ok;
  });
}

void add_why(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "why", "Explain which file the dynamic loader opens for a library name, the chain "
             "it walks and every candidate with its version");
  struct Opts {
    std::string name, root = "/";
  };
  auto opts = std::make_shared<Opts>();
  cmd->add_option("library", opts->name, "A library file name, e.g. libcudnn.so.9")->required();
  cmd->add_option("--root", opts->root, "Read the machine under this folder instead of /")
      ->check(CLI::ExistingDirectory);
  cmd->footer(
      "\nExamples:\n  gpucfg why libcudnn.so.9\n  gpucfg why libcudart.so.12 --root /mnt/image\n");
  cmd->callback([opts, &exit_code] {
    auto host = probe::make_local_host(opts->root);
    auto r = probe::explain_library(*host, opts->name);
    std::cout << r.name << "\n";
    for (const auto& s : r.steps)
      std::cout << "  " << s << "\n";
    std::cout << "candidates, in the order the loader tries them:\n";
    for (std::size_t i = 0; i < r.candidates.size(); ++i) {
      const auto& c = r.candidates[i];
      std::cout << (i == 0 ? "  * " : "    ") << c.path
                << (c.realpath != c.path ? " -> " + c.realpath : "") << "\n"
                << "      via " << c.via << (c.version.empty() ? "" : ", version " + c.version)
                << "\n";
    }
    if (r.candidates.empty()) std::cout << "  (none)\n";
    exit_code = r.chosen.empty() ? k_error : k_ok;
  });
}

} // namespace gpucfg::cli
