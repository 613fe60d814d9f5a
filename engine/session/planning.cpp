#include "session/planning.hpp"

#include "disk/real_disk.hpp"
#include "manifest/check.hpp"
#include "manifest/render.hpp"
#include "packages/apt.hpp"
#include "plan/observe.hpp"
#include "plan/plan_json.hpp"
#include "plan/planner.hpp"
#include "platform/platform.hpp"
#include "probe/parsers.hpp"
#include "probe/probe.hpp"
#include "pyenv/lock.hpp"
#include "session/lockfile.hpp"
#include "session/packages.hpp"
#include "source/resolve.hpp"
#include "source/settings.hpp"
#include "store/fill.hpp"
#include "store/key.hpp"
#include "store/store.hpp"
#include "util/registry.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

namespace gpucfg::session {

std::vector<std::string> error_lines(const util::Diagnostics& diags, std::size_t from) {
  std::vector<std::string> out;
  const auto& all = diags.all();
  for (std::size_t k = from; k < all.size(); ++k)
    if (all[k].severity == util::Severity::error)
      out.push_back(all[k].mark.str() + ": " + all[k].message);
  return out;
}

namespace {
void rewrite(nlohmann::ordered_json& j, const std::string& from, const std::string& to) {
  if (j.is_string()) {
    std::string s = j.get<std::string>();
    for (std::size_t at; (at = s.find(from)) != std::string::npos;)
      s.replace(at, from.size(), to);
    j = s;
  } else if (j.is_structured()) {
    for (auto& e : j)
      rewrite(e, from, to);
  }
}
} // namespace

nlohmann::ordered_json resolved_json(const manifest::Stack& stack, const std::string& from,
                                     const std::string& to) {
  auto j = manifest::resolve_for_show(stack).stack;
  j.erase("files_read"); // where the files lie, not what they ask for
  if (!from.empty()) rewrite(j, from, to);
  return j;
}

std::optional<knowledge::Knowledge> load_knowledge(Context& ctx, Reporter& report) {
  auto kb = knowledge::Knowledge::load(knowledge::data_dir(), ctx.sources, ctx.diags,
                                       store::default_dir());
  if (!kb)
    report.error("cannot read the knowledge base in " + knowledge::data_dir() +
                 "/knowledge (set GPUCFG_DATA_DIR to the folder holding knowledge/)");
  return kb;
}

std::optional<manifest::Stack> load_stack(const std::string& file, const std::string& platform,
                                          Context& ctx, Reporter& report) {
  auto kb = load_knowledge(ctx, report);
  if (!kb) return std::nullopt;
  auto checked = manifest::check(file, {platform}, *kb, ctx.sources, ctx.diags);
  if (ctx.diags.has_errors() || checked.stacks.empty()) return std::nullopt;
  return std::move(checked.stacks.front());
}

std::map<std::string, source::Resolved> resolve_sources(const manifest::Stack& stack,
                                                        const PlanRequest& req, Context& ctx,
                                                        const probe::Facts* facts) {
  source::ResolveOptions ro;
  std::map<std::string, source::Resolved> out;
  std::size_t before = ctx.diags.error_count();
  auto settings = source::load_settings(ctx.sources, ctx.diags);
  if (ctx.diags.error_count() > before)
    out["settings"].errors.push_back(settings.origin + ": the mirror settings cannot be read");
  ro.mirrors = settings.mirrors;
  ro.root = req.root == "/" ? "" : req.root;
  while (!ro.root.empty() && ro.root.back() == '/')
    ro.root.pop_back();
  ro.cache_dir = store::default_dir();
  ro.platform_id = stack.platform->id();
  ro.allow_unpinned = req.allow_unpinned;
  const char* off = std::getenv("GPUCFG_OFFLINE");
  ro.offline = req.offline || (off && std::string(off) == "1");
  if (stack.cuda) ro.cuda_version = stack.cuda->version.value.str();
  if (stack.cudnn && stack.cudnn->cuda) ro.cuda_version = stack.cudnn->cuda->value.str();
  if (stack.cuda)
    for (const auto& c : stack.cuda->components)
      ro.components.push_back(c.value);
  if (stack.cuda && stack.cuda->source)
    out["cuda"] = source::resolve(*stack.cuda->source, "cuda.source", ro);
  if (stack.cudnn && stack.cudnn->source)
    out["cudnn"] = source::resolve(*stack.cudnn->source, "cudnn.source", ro);
  if (stack.python && stack.python->install)
    out["interpreter"] =
        source::resolve(stack.python->install->source, "python.install.source", ro);
  if (stack.python && !stack.python->adopted()) {
    // For a machine: the wheels of the interpreter that will build it. Without facts (fetch,
    // filling a mirror): every wheel the lock has for the platform.
    std::vector<manifest::LockedWheel> wheels;
    if (facts) {
      wheels = pyenv::decide(stack, pyenv::interpreters(*facts)).wheels;
    } else {
      for (const auto& v : pyenv::locked_pythons(stack.python->lock, ro.platform_id))
        for (auto& w : pyenv::select(stack.python->lock, ro.platform_id, v).wheels)
          if (std::none_of(wheels.begin(), wheels.end(),
                           [&](const auto& x) { return x.wheel == w.wheel; }))
            wheels.push_back(std::move(w));
    }
    if (!wheels.empty()) out["python"] = source::resolve_wheels(wheels, stack.python->index, ro);
  }
  return out;
}

std::vector<source::Artifact*> plan_artifacts(plan::Plan& p) {
  std::vector<source::Artifact*> out;
  for (auto& a : p.actions)
    for (auto& art : a.artifacts)
      out.push_back(&art);
  return out;
}

bool fetch_artifacts(std::vector<source::Artifact*> artifacts, bool allow_unpinned,
                     Reporter& report, const std::function<void(const source::Artifact&)>& landed) {
  source::FetchOptions fo;
  fo.cache_dir = store::default_dir();
  fo.allow_unpinned = allow_unpinned;
  // What is not in the store yet, each file once (two actions may name one wheel).
  std::vector<source::Artifact*> todo;
  std::set<std::string> seen;
  for (auto* a : artifacts) {
    if (!a->sha256.empty() && !source::locate(*a, fo.cache_dir).empty()) {
      if (landed) landed(*a);
      continue;
    }
    if (!seen.insert(a->sha256.empty() ? a->name + " " + a->pip : a->sha256).second) continue;
    todo.push_back(a);
  }
  // A few at once, as uv and pip's successors do: one connection waits on the network's latency
  // and a server's per-connection pace, not on the pipe. Bounded, since each holds a connection
  // (GPUCFG_DOWNLOADS, default 4).
  unsigned jobs = 4;
  if (const char* v = std::getenv("GPUCFG_DOWNLOADS"); v && std::atoi(v) > 0)
    jobs = static_cast<unsigned>(std::atoi(v));
  jobs = std::min<unsigned>(jobs, static_cast<unsigned>(std::max<std::size_t>(todo.size(), 1)));
  // One progress display for the batch: each file's event carries the batch's totals, and the
  // reporter is called by one thread at a time.
  std::mutex mu;
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> each;
  unsigned finished = 0;
  fo.progress = [&](const source::Progress& p) {
    std::lock_guard<std::mutex> lock(mu);
    each[p.name] = {p.done, p.total};
    finished += p.finished;
    source::Progress all = p;
    all.all_done = all.all_total = 0;
    for (const auto& [name, bytes] : each) {
      all.all_done += bytes.first;
      all.all_total += bytes.second;
    }
    all.files_done = finished;
    all.files_total = static_cast<unsigned>(todo.size());
    report.progress(all);
  };
  std::vector<source::FetchResult> results(todo.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; (i = next++) < todo.size();) {
      results[i] = source::fetch(*todo[i], fo);
      if (landed && results[i].error.empty() && !todo[i]->sha256.empty()) landed(*todo[i]);
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < jobs; ++t)
    threads.emplace_back(work);
  work();
  for (auto& t : threads)
    t.join();
  bool ok = true;
  for (std::size_t i = 0; i < todo.size(); ++i) {
    const auto& r = results[i];
    if (!r.error.empty()) {
      report.error(r.error);
      ok = false;
      continue;
    }
    if (todo[i]->sha256.empty()) {
      report.warning(todo[i]->name + " is not pinned; its sha256 is " + r.sha256);
      todo[i]->sha256 = r.sha256;
    }
  }
  // Another action naming the same unpinned file gets the hash it was fetched with.
  for (auto* a : artifacts)
    if (a->sha256.empty())
      for (auto* t : todo)
        if (t != a && t->name == a->name && t->pip == a->pip) a->sha256 = t->sha256;
  return ok;
}

bool place_from_cache(const manifest::Stack& stack, plan::Observed& observed, bool prepare,
                      bool allow_unpinned, Reporter& report) {
  auto dnn = observed.resolved.find("cudnn");
  if (!stack.cudnn || !stack.cudnn->into_cuda || dnn == observed.resolved.end() ||
      dnn->second.artifacts.empty() || plan::cudnn_joins_toolkit(stack, observed))
    return true; // nothing to place, or unpacked together with the toolkit
  source::Resolved& r = dnn->second;
  if (r.artifacts.size() != 1) {
    r.errors.push_back("cudnn.source: one archive or wheel can be placed into a toolkit, not " +
                       std::to_string(r.artifacts.size()));
    return true;
  }
  source::Artifact& a = r.artifacts.front();
  // Unpacked once as a tree of the store, listed from its record: the copies apply makes are
  // checked against the hashes taken while the archive was read, never trusted by a name.
  store::Store st(disk::real_disk(), store::default_dir());
  std::string key = store::archives_key({a}, "", "");
  if (prepare) {
    if (!fetch_artifacts({&a}, allow_unpinned, report)) return false;
    key = store::archives_key({a}, "", "");
    if (std::string err = st.open(); !err.empty()) {
      report.error(err);
      return false;
    }
    if (st.has_tree(key) && !st.check(key, false).empty()) st.discard_files(key);
    store::ArchiveUnpacker unpacker(st, 0);
    auto fill = [&](const std::string& dir, store::TreeManifest* files) {
      return unpacker.unpack({a}, "", "", dir, files);
    };
    if (std::string err = st.add_tree(key, store::describe_inputs({a}), fill); !err.empty()) {
      report.error(a.name + ": " + err);
      return false;
    }
  }
  if (key.empty() || !st.has_tree(key)) return true; // plan lists the rules instead
  r.unpacked_dir = st.tree(key);
  observed.sources[r.unpacked_dir] = plan::list_store_tree(st.dir(), key);
  return true;
}

namespace {

// A saved host's managed paths as its record says they were (those that had drifted: unknown).
plan::Observed from_records(const probe::ManagedFacts& m) {
  plan::Observed o;
  o.live = true;
  o.from_records = true;
  try {
    o.current = m.record.get<plan::Generation>();
  } catch (const nlohmann::json::exception&) {
    o.live = false; // a record gpucfg cannot read: as if there were none
    o.from_records = false;
    return o;
  }
  for (const auto& e : o.current.entries) {
    plan::PathState st;
    if (std::find(m.drifted.begin(), m.drifted.end(), e.path) != m.drifted.end())
      st.kind = plan::PathKind::unknown;
    else if (e.kind == "file")
      st = {plan::PathKind::file, "", e.size, e.mtime_ns, e.sha256, e.mode};
    else if (e.kind == "symlink")
      st = {plan::PathKind::symlink, e.link_target, 0, 0, "", ""};
    else if (e.kind == "tree" || e.kind == "adopted")
      st.kind = plan::PathKind::dir;
    o.paths[e.path] = st;
  }
  return o;
}

} // namespace

void gather_managed(const probe::Host& host, probe::Facts& facts) {
  plan::Generation g = plan::read_current_generation(host);
  facts.managed = {};
  if (g.number == 0) return;
  facts.managed.generation = g.number;
  facts.managed.record = g;
  std::optional<std::map<std::string, std::string>> dpkg; // read once, if a package is managed
  for (const auto& e : g.entries) {
    if (util::starts_with(e.path, "pkg:")) { // a system package: dpkg's version now
      if (!dpkg)
        dpkg = probe::parse_dpkg_status(host.read("/var/lib/dpkg/status", 64 << 20).value_or(""));
      auto it = dpkg->find(e.path.substr(4));
      bool same =
          e.kind == "package" ? it != dpkg->end() && it->second == e.value : it == dpkg->end();
      if (!same) facts.managed.drifted.push_back(e.path);
      continue;
    }
    if (util::starts_with(e.path, "env:")) { // a Windows variable: the registry's value now
      std::string error;
      auto v = util::read_env_var(e.scope, e.path.substr(4), &error);
      bool same = error.empty() && (e.kind == "env" ? v && v->value == e.value : !v);
      if (!same) facts.managed.drifted.push_back(e.path);
      continue;
    }
    auto st = host.lstat(e.path);
    bool same = false;
    if (e.kind == "absent")
      same = !st;
    else if (e.kind == "tree" || e.kind == "adopted")
      same = st && st->kind == "dir";
    else if (e.kind == "symlink")
      same = st && st->kind == "symlink" && host.read_link(e.path).value_or("") == e.link_target;
    else if (e.kind == "file")
      same = st && st->kind == "file" && st->size == e.size && st->mtime_ns == e.mtime_ns;
    if (!same) facts.managed.drifted.push_back(e.path);
  }
}

std::optional<Planned> make_plan(const PlanRequest& req, Context& ctx, Reporter& report) {
  return Planner(req, ctx, report).plan_request();
}

Planner::Planner(PlanRequest req, Context& ctx, Reporter& report)
    : m_req(std::move(req)), m_ctx(ctx), m_report(report) {
  m_kb = load_knowledge(m_ctx, m_report);
}

std::shared_ptr<const manifest::Stack> Planner::stack_for(const std::string& platform) {
  auto it = m_stacks.find(platform);
  if (it == m_stacks.end()) {
    std::size_t before = m_ctx.diags.all().size();
    auto checked = manifest::check(m_req.manifest, {platform}, *m_kb, m_ctx.sources, m_ctx.diags);
    std::vector<std::string>& errors = m_stack_errors[platform];
    errors = error_lines(m_ctx.diags, before);
    std::shared_ptr<const manifest::Stack> stack;
    if (errors.empty() && !checked.stacks.empty())
      stack = std::make_shared<const manifest::Stack>(std::move(checked.stacks.front()));
    it = m_stacks.emplace(platform, std::move(stack)).first;
  }
  return it->second;
}

const std::vector<std::string>& Planner::stack_errors(const std::string& platform) {
  return m_stack_errors[platform];
}

std::optional<Planned> Planner::plan_request() {
  if (!m_kb) return std::nullopt;
  if (!m_req.facts_file.empty()) return plan_facts_file(m_req.facts_file);
  auto host = probe::make_local_host(m_req.root);
  return plan(probe::gather(*host, probe_needs()), "live");
}

probe::ProbeOptions Planner::probe_needs() {
  probe::ProbeOptions o;
  o.cache_dir = store::default_dir();
  // A manifest with errors is planned as before (the errors are the plan's); gathering all
  // costs only time there.
  auto stack = stack_for(platform::host().id());
  if (!stack) return o;
  std::string os = platform::host().os_name();
  o.compilers =
      std::any_of(stack->requires_.host_compiler.begin(), stack->requires_.host_compiler.end(),
                  [&](const auto& hc) { return hc.os == os; });
  o.pythons = stack->python || stack->requires_.python;
  return o;
}

std::optional<Planned> Planner::plan_facts_file(const std::string& facts_file) {
  if (!m_kb) return std::nullopt;
  std::ifstream in(facts_file);
  std::stringstream text;
  text << in.rdbuf();
  try {
    return plan(probe::facts_from_json(nlohmann::json::parse(text.str())), facts_file);
  } catch (const std::exception& e) {
    m_report.error(facts_file + ": not a facts file: " + e.what());
    return std::nullopt;
  }
}

std::optional<Planned> Planner::plan(probe::Facts facts, const std::string& facts_source) {
  Planned out;
  out.facts = std::move(facts);
  if (std::string err = plan::apply_assumptions(out.facts, m_req.assume); !err.empty()) {
    m_report.error(err);
    return std::nullopt;
  }
  out.stack = stack_for(out.facts.platform.id);
  if (!out.stack) return std::nullopt;
  bool live = facts_source == "live";
  auto host = probe::make_local_host(m_req.root);
  // A toolkit or cuDNN in a prefix of its own is where no usual place or loader path may lead
  // (before its loader entry exists): looked at there, or a plan would never see it installed.
  if (live)
    probe::gather_named(
        *host, out.facts, out.stack->cuda ? out.stack->cuda->prefix.value : "",
        out.stack->cudnn && !out.stack->cudnn->into_cuda ? out.stack->cudnn->prefix.value : "");
  std::string home = host->env("HOME").value_or("/root");
  auto wanted = plan::wanted(*out.stack, home, out.facts);
  if (live)
    out.observed = plan::observe(*host, wanted, m_req.checksum, store::default_dir());
  else if (out.facts.managed.generation > 0)
    out.observed = from_records(out.facts.managed); // that host's paths as gpucfg recorded them
  else
    out.observed.live = false; // another machine's facts: its paths cannot be observed from here
  // A lock beside the manifest: what it resolves to must be what the lock says, and the lock
  // may pin what the manifest leaves unpinned (so those are resolved, then held to it).
  std::string lock_file = lock_path(m_req.manifest);
  if (!m_lock_read) {
    m_lock_read = true;
    std::error_code ec;
    if (std::filesystem::is_regular_file(lock_file, ec)) {
      m_lock = read_lock(lock_file, &m_lock_error);
      if (!m_lock && m_lock_error.empty()) m_lock_error = lock_file + ": cannot be read";
    }
  }
  bool locked = m_lock || !m_lock_error.empty();
  // Sources depend on the platform and, for an environment, on the interpreter that builds it:
  // resolved once per such pair.
  std::string key = out.facts.platform.id;
  if (out.stack->python && !out.stack->python->adopted())
    for (const auto& w : pyenv::decide(*out.stack, pyenv::interpreters(out.facts)).wheels)
      key += " " + w.wheel;
  auto cached = m_resolved.find(key);
  if (cached == m_resolved.end()) {
    PlanRequest resolving = m_req;
    resolving.allow_unpinned = m_req.allow_unpinned || locked;
    cached =
        m_resolved.emplace(key, resolve_sources(*out.stack, resolving, m_ctx, &out.facts)).first;
  }
  out.observed.resolved = cached->second;
  std::vector<std::string> lock_errors;
  if (m_lock)
    lock_errors =
        hold_to_lock(*m_lock, lock_file, *out.stack, m_req.manifest, out.observed.resolved);
  else if (!m_lock_error.empty())
    lock_errors.push_back(m_lock_error);
  if (locked)
    for (auto& [role, res] : out.observed.resolved)
      for (const auto& a : res.artifacts)
        if (a.sha256.empty() && !m_req.allow_unpinned)
          res.errors.push_back(role + ".source: " + a.name +
                               " has no sha256 pin in the manifest or " + lock_file +
                               "; add one, or let `gpucfg lock --update --allow-unpinned " +
                               m_req.manifest + "` pin it on first use");
  if (!place_from_cache(*out.stack, out.observed, m_req.prepare, m_req.allow_unpinned, m_report))
    return std::nullopt;
  // System packages: the machine's package manager asked for the manifest's names, and after
  // the planner decided, for what apt would do besides (its simulation).
  util::SystemRunner runner;
  std::unique_ptr<packages::Manager> manager;
  if (live && !out.stack->packages.empty()) {
    std::string why;
    manager = packages::system_manager(runner, m_req.root, &why);
    out.observed.packages = observe_packages(manager.get(), why, *out.stack);
  }
  plan::PlanInput in{*out.stack, out.facts, out.observed, *m_kb, facts_source};
  out.plan = plan::make_plan(in);
  if (manager && out.observed.packages.observed) simulate_packages(*manager, out.plan);
  out.plan.errors.insert(out.plan.errors.end(), lock_errors.begin(), lock_errors.end());
  out.plan.observed_paths = wanted.paths;
  out.plan.observed_variables = wanted.variables;
  out.plan.source_dirs = wanted.source_dirs;
  out.plan.source_folders = wanted.folders;
  // How it was made, so `apply PLAN` plans again the same way (session/run.cpp).
  std::error_code ec;
  auto abs = std::filesystem::absolute(m_req.manifest, ec);
  out.plan.manifest_file = ec ? m_req.manifest : abs.lexically_normal().string();
  out.plan.checksum = m_req.checksum;
  return out;
}

} // namespace gpucfg::session
