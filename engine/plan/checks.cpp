// Prerequisite checks: what the plan depends on but does not change. Pure; every verdict says
// its reasoning ("driver 456.71 < 460.82 required by CUDA 11.2 on windows-x86_64").
#include "packages/version.hpp"
#include "plan/planner.hpp"
#include "platform/platform.hpp"
#include "probe/parsers.hpp"
#include "pyenv/lock.hpp"
#include "util/strings.hpp"

#include <algorithm>

namespace gpucfg::plan {
namespace {

using util::Version;

void add(Plan& plan, const std::string& name, const std::string& outcome, const std::string& detail,
         const std::string& source = "") {
  plan.checks.push_back({name, outcome, detail, source});
  if (outcome == "fail") plan.errors.push_back(name + ": " + detail);
}

std::optional<Version> ver(const std::string& s) {
  return Version::parse(s);
}

void platform_check(const PlanInput& in, Plan& plan) {
  const auto& s = in.stack;
  const std::string& id = in.facts.platform.id;
  if (s.framework)
    if (auto* rule = in.kb.platform_rule(s.framework->name, s.framework->version, id);
        rule && !rule->supported)
      return add(plan, "platform", "fail", id + ": " + rule->why, rule->source.cite());
  std::vector<std::string> ids;
  for (const auto& p : s.requires_.platforms)
    ids.push_back(p.value);
  if (!ids.empty() && std::find(ids.begin(), ids.end(), id) == ids.end())
    return add(plan, "platform", "fail", id + " is not among " + util::join(ids, ", "));
  add(plan, "platform", "pass",
      id + (ids.empty() ? " (the manifest names no platforms)" : " is supported"));
}

void loaded_driver_check(const PlanInput& in, Plan& plan) {
  const auto& s = in.stack;
  const auto& d = in.facts.driver;
  std::string os = s.platform->os_name();
  std::optional<Version> cuda;
  std::string cuda_text;
  if (s.cuda)
    cuda = s.cuda->version.value;
  else if (s.framework && s.framework->cuda)
    cuda = s.framework->cuda->value;
  auto req = std::find_if(s.requires_.driver.begin(), s.requires_.driver.end(),
                          [&](const auto& r) { return r.os == os; });
  if (!d.present) {
    std::string need = req != s.requires_.driver.end() ? " " + req->range.str() : "";
    return add(plan, "driver", "warn",
               "no NVIDIA driver on this machine: the stack can be installed, but nothing runs on "
               "a GPU until a driver" +
                   need +
                   " is installed (gpucfg installs one only where the manifest lists its "
                   "packages)");
  }
  auto have = ver(d.version);
  if (!have)
    return add(plan, "driver", "unknown", "driver version '" + d.version + "' is not a version");
  if (req != s.requires_.driver.end() && !req->range.contains(*have))
    return add(plan, "driver", "fail",
               "driver " + d.version + " is outside " + req->range.str() + " (requires.driver." +
                   os + ")",
               req->mark.str());
  if (cuda) {
    const auto* row = in.kb.toolkit_driver(*cuda);
    const auto* compat = in.kb.minor_compat(cuda->major());
    auto floor = compat ? (os == "windows" ? compat->windows : compat->linux) : std::nullopt;
    const auto& min = row ? row->for_os(os) : std::nullopt;
    if (floor && min && *min < *floor) floor = min;
    std::string label = row ? "CUDA " + row->label : "CUDA " + cuda->str();
    if (floor && *have < *floor)
      return add(plan, "driver", "fail",
                 "driver " + d.version + " < " + floor->str() + " required by CUDA " +
                     std::to_string(cuda->major()) + ".x on " + in.facts.platform.id,
                 compat->source.cite());
    if (!floor && min && *have < *min)
      return add(plan, "driver", "fail",
                 "driver " + d.version + " < " + min->str() + " required by " + label + " on " +
                     in.facts.platform.id,
                 row->source.cite());
    if (min && *have < *min)
      return add(plan, "driver", "warn",
                 "driver " + d.version + " < " + min->str() + " of " + label +
                     ": runs through minor-version compatibility only (no PTX JIT of newer code)",
                 row->source.cite());
    if (min)
      return add(plan, "driver", "pass",
                 "driver " + d.version + " >= " + min->str() + " required by " + label + " on " +
                     in.facts.platform.id,
                 row->source.cite());
  }
  add(plan, "driver", "pass",
      "driver " + d.version +
          (req != s.requires_.driver.end() ? " within " + req->range.str() : ""));
}

void gpu_checks(const PlanInput& in, Plan& plan) {
  const auto& s = in.stack;
  const auto& gpus = in.facts.driver.gpus;
  if (gpus.empty()) {
    if (s.requires_.compute_capability)
      add(plan, "gpu", "unknown",
          "no GPU in the facts; compute capability " + s.requires_.compute_capability->value.str() +
              " not checked");
    return;
  }
  for (const auto& g : gpus) {
    std::string name = "gpu " + std::to_string(g.index);
    auto cc = ver(g.compute_capability);
    if (!cc) {
      add(plan, name, "unknown", g.name + ": compute capability unknown");
      continue;
    }
    std::string sm = "sm_" + std::to_string(cc->major()) + std::to_string(cc->minor());
    if (s.requires_.compute_capability && !s.requires_.compute_capability->value.contains(*cc)) {
      // A framework that bundles CUDA states its wheels' kernels there: say what it means.
      std::string why = s.framework && !s.cuda
                            ? ": the " + s.framework->name + " wheels carry no kernel it can run"
                            : "";
      add(plan, name, "fail",
          g.name + ", " + sm + ": outside compute_capability " +
              s.requires_.compute_capability->value.str() + why,
          s.requires_.compute_capability->mark.str());
      continue;
    }
    if (s.cuda)
      if (const auto* a = in.kb.arch(*cc);
          a && a->removed && s.cuda->version.value.truncated(2) >= *a->removed && !a->renamed_to) {
        add(plan, name, "fail",
            g.name + ", " + sm + ": CUDA " + s.cuda->version.value.str() +
                " cannot target it (removed in " + a->removed->str() + ")",
            a->source.cite());
        continue;
      }
    add(plan, name, "pass",
        g.name + ", " + sm +
            (s.requires_.compute_capability
                 ? " within " + s.requires_.compute_capability->value.str()
                 : ""));
  }
}

// A host compiler this plan's packages install for `family` (g++ or clang++): the package
// g++-12 or clang-16 (or the distribution's default, g++ or clang), with its upstream version.
std::optional<std::pair<std::string, std::string>> packaged_compiler(const Plan& plan,
                                                                     const std::string& family) {
  const std::string stem = family == "clang++" ? "clang" : family;
  for (const auto& a : plan.actions) {
    if (a.op != Op::package || a.version.empty()) continue;
    std::string name = a.path.substr(4); // pkg:NAME
    bool versioned = util::starts_with(name, stem + "-") &&
                     std::all_of(name.begin() + stem.size() + 1, name.end(), ::isdigit) &&
                     name.size() > stem.size() + 1;
    if (name == stem || versioned)
      return std::make_pair(a.path, packages::upstream_version(a.version));
  }
  return std::nullopt;
}

// requires.host_compiler: nvcc's default compiler if it is in range, else a versioned one beside
// it (g++-12 next to g++ 14, which verify gives nvcc as -ccbin), else one this plan's packages
// install. Out of range is a warning, not an error: installing a stack compiles nothing, and
// most frameworks never run nvcc. What it breaks is compiling against the stack (verify's
// workloads, custom ops), so that is where it is reported again.
void compiler_checks(const PlanInput& in, Plan& plan) {
  const auto& s = in.stack;
  std::string os = s.platform->os_name();
  for (const auto& hc : s.requires_.host_compiler) {
    if (hc.os != os) continue;
    std::string want = hc.compiler == "gcc"     ? "g++"
                       : hc.compiler == "clang" ? "clang++"
                                                : hc.compiler;
    auto within = [&](const probe::Compiler& c) {
      auto v = ver(c.version);
      return v && hc.range.contains(*v);
    };
    const probe::Compiler* found = nullptr;
    const probe::Compiler* beside = nullptr;
    for (const auto& c : in.facts.compilers) {
      if (c.name == want || c.name == hc.compiler) found = found ? found : &c;
      bool versioned = util::starts_with(c.name, want + "-") && c.name.size() > want.size() + 1 &&
                       std::all_of(c.name.begin() + want.size() + 1, c.name.end(), ::isdigit);
      if (versioned && within(c) && !beside) beside = &c;
    }
    std::string label = "host compiler";
    std::string now = found ? hc.compiler + " " + found->version : "no " + hc.compiler;
    if (found && within(*found)) {
      add(plan, label, "pass",
          hc.compiler + " " + found->version + " within " + hc.range.str() +
              (found->evidence.empty() ? "" : " [" + found->evidence + "]"));
      continue;
    }
    if (beside) {
      add(plan, label, "pass",
          now + " is outside " + hc.range.str() + "; " + beside->path + " (" + beside->version +
              ") is within it and nvcc is given it with -ccbin, as verify does");
      continue;
    }
    if (auto pkg = packaged_compiler(plan, want);
        pkg && ver(pkg->second) && hc.range.contains(*ver(pkg->second))) {
      add(plan, label, "pass",
          pkg->first + " (this plan) installs " + hc.compiler + " " + pkg->second + " within " +
              hc.range.str() + " (" + now + " found now)",
          hc.mark.str());
      continue;
    }
    if (found && !ver(found->version)) {
      add(plan, label, "unknown", hc.compiler + " version '" + found->version + "' unknown");
      continue;
    }
    add(plan, label, "warn",
        (found ? now + " is outside " + hc.range.str() : "no " + hc.compiler + " found") +
            " (requires.host_compiler." + os +
            "): the install needs no compiler, but nvcc will refuse this one; list a " + want +
            "-N within it under packages: to install one with the stack",
        hc.mark.str());
  }
}

// requires.python against the interpreters found. With a python: section it decides who builds
// the environment (a failure is apply's refusal); without one, nothing here needs Python, so
// a missing interpreter only warns that the framework cannot be installed on this machine.
void python_check(const PlanInput& in, Plan& plan) {
  const auto& s = in.stack;
  if (!s.python && !s.requires_.python) return;
  std::string source = s.requires_.python ? "requires.python " + s.requires_.python->mark.str()
                                          : "python " + s.python->mark.str();
  if (s.python && s.python->adopted())
    return add(plan, "python", "pass",
               "the environment " + s.python->env.value +
                   " is the user's (python.adopt): gpucfg verifies it and never changes it",
               source);
  if (s.python) {
    auto d = pyenv::decide(s, pyenv::interpreters(in.facts));
    if (!d.python) return add(plan, "python", "fail", d.why, source);
    if (!d.errors.empty()) return add(plan, "python", "fail", util::join(d.errors, "; "), source);
    return add(plan, "python", "pass", d.why, source);
  }
  for (const auto& i : pyenv::interpreters(in.facts))
    if (s.requires_.python->value.contains(i.version))
      return add(plan, "python", "pass",
                 i.path + " is Python " + i.version.str() + ", in " +
                     s.requires_.python->value.str(),
                 source);
  add(plan, "python", "warn",
      "no Python " + s.requires_.python->value.str() + " found, which " +
          (s.framework ? s.framework->name + " " + s.framework->version.str() : "this stack") +
          " needs",
      source);
}

// The CUDA component an NVIDIA wheel delivers ("nvidia-cublas-cu12==12.3.4.1" -> cublas), or "".
// NVIDIA's nvcc wheels before CUDA 13 carry ptxas and nvvm but no nvcc.
std::string wheel_component(const std::string& requirement) {
  std::string name = requirement.substr(0, requirement.find("=="));
  static const std::pair<const char*, const char*> table[] = {{"nvidia-cuda-runtime", "cudart"},
                                                              {"nvidia-cublas", "cublas"},
                                                              {"nvidia-cufft", "cufft"},
                                                              {"nvidia-curand", "curand"},
                                                              {"nvidia-cusolver", "cusolver"},
                                                              {"nvidia-cusparse", "cusparse"},
                                                              {"nvidia-cuda-nvrtc", "nvrtc"},
                                                              {"nvidia-cuda-cupti", "cupti"},
                                                              {"nvidia-nvjitlink", "nvjitlink"},
                                                              {"nvidia-npp", "npp"},
                                                              {"nvidia-nvjpeg", "nvjpeg"},
                                                              {"nvidia-cuda-nvcc", "nvcc"},
                                                              {"nvidia-nccl", "nccl"}};
  for (const auto& [stem, component] : table)
    if (util::starts_with(name, stem)) {
      bool old_nvcc = std::string(component) == "nvcc" &&
                      (util::ends_with(name, "-cu11") || util::ends_with(name, "-cu12"));
      return old_nvcc ? "" : component;
    }
  return "";
}

// What the manifest lists in cuda.components is what verify checks: plan says now when the
// source cannot deliver it (NVIDIA's cu12 nvcc wheel, which has no nvcc) or an adopted toolkit
// lacks it.
void components_check(const PlanInput& in, Plan& plan) {
  const auto& s = in.stack;
  if (!s.cuda || !s.cuda->source) return;
  using K = manifest::Source::Kind;
  std::string source = "cuda.components " + s.cuda->mark.str();
  std::vector<std::string> have;
  std::string from;
  if (s.cuda->source->kind == K::wheels) {
    for (const auto& a : s.cuda->source->artifacts)
      if (auto c = wheel_component(a.location); !c.empty()) have.push_back(c);
    from = "the wheels deliver";
  } else if (s.cuda->source->kind == K::adopt) {
    for (const auto& t : in.facts.toolkits)
      if (t.path == s.cuda->prefix.value || t.realpath == s.cuda->prefix.value) have = t.components;
    from = "the adopted toolkit at " + s.cuda->prefix.value + " has";
    if (have.empty()) return; // no toolkit there: the toolkit check says so
  } else {
    return; // installers and redistrib archives take the listed components by name
  }
  std::string delivered = have.empty() ? "none" : util::join(have, ", ");
  if (s.cuda->components.empty()) {
    if (s.cuda->source->kind == K::wheels)
      add(plan, "components", "warn",
          "none listed, so verify expects a whole toolkit, but " + from + " " + delivered +
              ": list them in cuda.components",
          source);
    return;
  }
  std::vector<std::string> missing;
  for (const auto& c : s.cuda->components)
    if (std::find(have.begin(), have.end(), c.value) == have.end()) missing.push_back(c.value);
  if (missing.empty())
    return add(plan, "components", "pass", from + " every listed component", source);
  add(plan, "components", "fail",
      "cuda.components lists " + util::join(missing, ", ") + ", but " + from + " only " +
          delivered +
          (std::find(missing.begin(), missing.end(), "nvcc") != missing.end() &&
                   s.cuda->source->kind == K::wheels
               ? " (NVIDIA's nvcc wheels before CUDA 13 carry ptxas, not nvcc)"
               : ""),
      source);
}

} // namespace

// The driver this plan's packages install, judged as the loaded one would be; else the loaded
// one, and whether the packages already installed another (a reboot loads it). gpucfg never
// reboots or reloads a module: the plan says when one is needed.
void driver_check(const PlanInput& in, Plan& plan) {
  std::string coming, via;
  for (const auto& a : plan.actions)
    if (a.op == Op::package && !a.version.empty() && probe::is_driver_package(a.path.substr(4)) &&
        coming.empty()) {
      coming = probe::packaged_driver_version({{a.path.substr(4), a.version, "installed"}});
      via = a.path;
    }
  const auto& d = in.facts.driver;
  if (coming.empty()) {
    loaded_driver_check(in, plan);
    if (d.reboot_needed)
      add(plan, "driver reboot", "warn",
          "the loaded module is " + d.version + ", the installed packages are " +
              d.installed_version + ": a reboot loads theirs (gpucfg never reboots)");
    return;
  }
  PlanInput as_if = in;
  as_if.facts.driver.present = true;
  as_if.facts.driver.version = coming;
  Plan judged;
  loaded_driver_check(as_if, judged);
  Check c = judged.checks.back();
  std::string now = d.present ? "loaded now: " + d.version : "none loaded now";
  c.detail = via + " (this plan) installs " + c.detail;
  if (c.outcome == "pass" || c.outcome == "warn") {
    c.outcome = "warn";
    c.detail += "; it runs once a reboot loads the module (" + now + "; gpucfg never reboots)";
  }
  plan.checks.push_back(c);
}

void run_checks(const PlanInput& in, Plan& plan) {
  platform_check(in, plan);
  driver_check(in, plan);
  gpu_checks(in, plan);
  compiler_checks(in, plan);
  python_check(in, plan);
  components_check(in, plan);
}

std::string apply_assumptions(probe::Facts& facts, const std::string& assume) {
  if (assume.empty()) return {};
  for (const auto& item : util::split(assume, ',')) {
    auto eq = item.find('=');
    std::string key = util::trim(item.substr(0, eq)),
                value = eq == std::string::npos ? "" : util::trim(item.substr(eq + 1));
    if (value.empty()) return "--assume: '" + item + "' is not key=value";
    if (key == "driver") {
      if (!util::Version::parse(value)) return "--assume driver=" + value + ": not a version";
      facts.driver.present = true;
      facts.driver.version = value;
      facts.driver.evidence = "--assume";
    } else if (key == "gpu") {
      // sm_86 or 8.6
      std::string cc = value;
      if (util::starts_with(cc, "sm_") && cc.size() >= 5)
        cc = cc.substr(3, cc.size() - 4) + "." + cc.substr(cc.size() - 1);
      if (!util::Version::parse(cc)) return "--assume gpu=" + value + ": use sm_86 or 8.6";
      facts.driver.gpus = {{0, "assumed GPU", "", cc, 0}};
    } else if (key == "platform") {
      const platform::Platform* p = platform::find(value);
      if (!p)
        return "--assume platform=" + value + ": unknown platform" +
               util::did_you_mean(value, platform::known_ids());
      facts.platform.id = p->id();
      facts.platform.os = p->os_name();
      facts.platform.arch = p->arch();
    } else {
      return "--assume: unknown key '" + key + "' (driver, gpu, platform)";
    }
  }
  return {};
}

} // namespace gpucfg::plan
