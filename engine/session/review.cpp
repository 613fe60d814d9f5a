#include "session/review.hpp"

#include "manifest/loader.hpp"
#include "session/git.hpp"
#include "util/strings.hpp"
#include "yaml/value.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

namespace fs = std::filesystem;

namespace gpucfg::session {
namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& l : util::split(text, '\n'))
    if (!util::trim(l).empty()) out.push_back(util::trim(l));
  return out;
}

bool is_yaml(const std::string& p) {
  return util::ends_with(p, ".yaml") || util::ends_with(p, ".yml");
}

// The manifest at `file` (a gpucfg Stack) and every file its extends chain reads; nullopt for
// any other YAML (CI files, facts, configuration).
std::optional<std::vector<std::string>> manifest_files(const std::string& file) {
  util::SourceSet sources;
  util::Diagnostics diags;
  auto loaded = manifest::load(file, sources, diags);
  if (!loaded.tree) {
    // A Stack that does not load is still a manifest: it is reviewed (and fails there).
    std::ifstream in(file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.find("kind: Stack") == std::string::npos) return std::nullopt;
    return std::vector<std::string>{file};
  }
  const yaml::Value* kind = loaded.tree->find("kind");
  if (!kind || !kind->is_scalar() || kind->scalar != "Stack") return std::nullopt;
  return loaded.files;
}

// `text` with every occurrence of `prefix` taken out.
std::string strip_prefix(std::string text, const std::string& prefix) {
  for (std::size_t at; !prefix.empty() && (at = text.find(prefix)) != std::string::npos;)
    text.erase(at, prefix.size());
  return text;
}

// Every message a reviewed manifest carries: its own errors, and each host's.
template <class F> void for_each_message(ReviewedManifest& m, F f) {
  for (auto& e : m.errors)
    f(e);
  if (!m.fleet) return;
  for (auto& h : m.fleet->hosts) {
    for (auto* list : {&h.errors, &h.warnings})
      for (auto& e : *list)
        f(e);
    if (h.plan)
      for (auto* list : {&h.plan->errors, &h.plan->warnings, &h.plan->notes})
        for (auto& e : *list)
          f(e);
  }
}

std::string relative_to(const std::string& path, const std::string& top) {
  std::error_code ec;
  return fs::weakly_canonical(path, ec).lexically_relative(fs::weakly_canonical(top, ec)).string();
}

bool exists_at(const std::string& rev, const std::string& path) {
  return git({"cat-file", "-e", rev + ":" + path}, nullptr) == 0;
}

} // namespace

bool Review::any_failed() const {
  return std::any_of(manifests.begin(), manifests.end(), [](const ReviewedManifest& m) {
    return !m.errors.empty() || (m.fleet && m.fleet->any_failed());
  });
}

std::optional<Review> review(const ReviewRequest& req, Reporter& report) {
  Review r;
  r.base = req.base;
  r.head = req.head.empty() ? "working tree" : req.head;
  std::string top = git_top();
  if (top.empty()) {
    report.error("review runs inside the manifests' git repository");
    return std::nullopt;
  }
  std::string out;
  std::vector<std::string> args = {"diff", "--name-only", "--no-renames", req.base};
  if (!req.head.empty()) args.push_back(req.head);
  if (git(args, &out) != 0) {
    report.error("git diff " + req.base + " " + req.head + " failed (is " + req.base +
                 " a revision here?)");
    return std::nullopt;
  }
  r.changed_files = lines(out);
  if (req.head.empty() && git({"ls-files", "--others", "--exclude-standard"}, &out) == 0)
    for (auto& f : lines(out))
      r.changed_files.push_back(f); // new files not yet added are part of the change
  std::set<std::string> changed(r.changed_files.begin(), r.changed_files.end());

  // The head's tree: the working tree, or the head revision exported.
  std::error_code ec;
  ScratchDir tmp("gpucfg-review");
  if (!tmp.ok()) {
    report.error("cannot make a temporary folder");
    return std::nullopt;
  }
  const std::string& scratch = tmp.path();
  std::string head_root = top;
  if (!req.head.empty()) {
    head_root = scratch + "/head";
    if (std::string err = git_export(req.head, head_root); !err.empty()) {
      report.error(err);
      return std::nullopt;
    }
  }
  // Candidates: every YAML under the folders named (relative to the repository's top).
  std::vector<std::string> roots =
      req.manifests.empty() ? std::vector<std::string>{"."} : req.manifests;
  std::set<std::string> candidates;
  for (const auto& root : roots) {
    std::string rel = relative_to(root, top);
    fs::path at = fs::path(head_root) / (rel == "." ? "" : rel);
    if (fs::is_regular_file(at, ec)) {
      candidates.insert(relative_to(at.u8string(), head_root));
      continue;
    }
    for (auto it = fs::recursive_directory_iterator(at, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (it->is_directory(ec) && (name == ".git" || name == "build" || name == "node_modules"))
        it.disable_recursion_pending();
      else if (it->is_regular_file(ec) && is_yaml(name))
        candidates.insert(it->path().lexically_relative(head_root).string());
    }
  }
  for (const auto& rel : candidates) {
    auto files = manifest_files(head_root + "/" + rel);
    if (!files) continue;
    bool own = changed.count(rel) > 0, base = false;
    for (const auto& f : *files)
      base = base || changed.count(relative_to(f, head_root)) > 0;
    if (!own && !base) continue;
    ReviewedManifest m;
    m.path = rel;
    m.status = !own ? "base-changed" : exists_at(req.base, rel) ? "changed" : "added";
    if (m.status != "added") {
      Context ctx;
      Recorder rec;
      m.diff = diff_manifests("git:" + req.base + ":" + rel,
                              req.head.empty() ? top + "/" + rel : "git:" + req.head + ":" + rel,
                              {}, ctx, rec);
      if (m.diff && req.head.empty()) m.diff->new_name = rel; // not this checkout's path
      if (!m.diff) {
        m.errors = rec.errors;
        for (auto& e : error_lines(ctx.diags))
          m.errors.push_back(std::move(e));
      }
    }
    if (!req.fleet.empty()) {
      std::vector<std::string> errors;
      auto facts = fleet_files(req.fleet, &errors);
      for (const auto& e : errors)
        m.errors.push_back(e);
      PlanRequest pr = req.plan;
      pr.manifest = head_root + "/" + rel;
      if (errors.empty()) m.fleet = plan_fleet(pr, facts);
    }
    // The comment is read beside the repository, not on the runner: its paths are the
    // repository's (stacks/train.yaml, not /home/runner/work/team/team/stacks/train.yaml).
    for_each_message(m, [&](std::string& text) { text = strip_prefix(text, head_root + "/"); });
    r.manifests.push_back(std::move(m));
  }
  // Manifests the change deleted: named, nothing to plan.
  for (const auto& f : r.changed_files)
    if (is_yaml(f) && !fs::exists(head_root + "/" + f, ec) && exists_at(req.base, f)) {
      std::string text;
      git({"show", req.base + ":" + f}, &text);
      if (text.find("kind: Stack") != std::string::npos)
        r.manifests.push_back({f, "removed", std::nullopt, std::nullopt, {}});
    }

  std::set<std::string> labels;
  if (r.manifests.empty()) labels.insert("no-stack-change");
  for (const auto& m : r.manifests) {
    if (m.status == "removed") labels.insert("removal");
    if (m.status == "added") labels.insert("new-stack");
    if (!m.errors.empty() || (m.fleet && m.fleet->any_failed())) labels.insert("plan-failed");
    if (m.diff)
      for (const auto& p : m.diff->platforms)
        for (const auto& d : p.differences) {
          if (util::starts_with(d.path, "cuda.version") ||
              util::starts_with(d.path, "cuda.source") || util::starts_with(d.path, "cuda.prefix"))
            labels.insert("toolkit-change");
          if (util::starts_with(d.path, "cudnn.")) labels.insert("cudnn-change");
          if (util::starts_with(d.path, "requires.driver")) labels.insert("driver-change");
          if (util::starts_with(d.path, "python.")) labels.insert("environment-change");
        }
  }
  r.labels.assign(labels.begin(), labels.end());
  return r;
}

} // namespace gpucfg::session
