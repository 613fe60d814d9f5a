#include "session/diff.hpp"

#include "manifest/check.hpp"
#include "manifest/decode.hpp"
#include "manifest/loader.hpp"
#include "platform/platform.hpp"
#include "session/git.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

namespace fs = std::filesystem;

namespace gpucfg::session {
namespace {

// The section a resolved manifest's path belongs to, for grouping a review.
std::string section_of(const std::string& path) {
  auto top = path.substr(0, path.find_first_of(".["));
  if (top == "cuda" || top == "cudnn") {
    if (path.find(".source") != std::string::npos) return "sources";
    if (util::ends_with(path, ".version") || util::ends_with(path, ".cuda")) return "versions";
    return top;
  }
  if (top == "framework") return "versions";
  if (top == "files" || top == "env" || top == "loader" || top == "python" || top == "requires" ||
      top == "verify")
    return top;
  return "other";
}

// What identifies an element of a list of objects across two versions: a wheel's project (its
// requirement before "=="), else the first identifying field the elements have.
std::optional<std::string> identity(const nlohmann::ordered_json& e) {
  if (!e.is_object()) return std::nullopt;
  for (const char* k : {"location", "wheel", "package", "path", "name", "from", "alias", "copy",
                        "symlink", "absent"})
    if (e.contains(k) && e[k].is_string()) {
      std::string v = e[k].get<std::string>();
      if (std::string(k) == "location" && v.find("==") != std::string::npos)
        v = v.substr(0, v.find("=="));
      return v;
    }
  return std::nullopt;
}

// A source's artifact that changed its location (a new version) reads as one line with its pin.
bool artifact_moved(const nlohmann::ordered_json& a, const nlohmann::ordered_json& b) {
  return a.contains("location") && b.contains("location") && a["location"] != b["location"];
}

// An artifact or a locked wheel in one line: where it is and its pin; anything else whole.
std::string pinned(const nlohmann::ordered_json& e) {
  const char* name = e.contains("location") ? "location" : e.contains("wheel") ? "wheel" : nullptr;
  if (!name || !e[name].is_string()) return e.dump();
  std::string s = e[name].get<std::string>();
  if (e.contains("sha256") && e["sha256"].is_string())
    s += " (sha256 " + e["sha256"].get<std::string>().substr(0, 12) + ")";
  return nlohmann::ordered_json(s).dump();
}

void add(std::vector<Difference>& out, const std::string& path, const char* change,
         const nlohmann::ordered_json* before, const nlohmann::ordered_json* after) {
  out.push_back(
      {section_of(path), path, change, before ? before->dump() : "", after ? after->dump() : ""});
}

void walk(const nlohmann::ordered_json& a, const nlohmann::ordered_json& b, const std::string& path,
          std::vector<Difference>& out) {
  auto join = [&](const std::string& k) { return path.empty() ? k : path + "." + k; };
  if (a.is_object() && b.is_object()) {
    for (auto it = a.begin(); it != a.end(); ++it)
      if (!b.contains(it.key()))
        add(out, join(it.key()), "removed", &it.value(), nullptr);
      else
        walk(it.value(), b[it.key()], join(it.key()), out);
    for (auto it = b.begin(); it != b.end(); ++it)
      if (!a.contains(it.key())) add(out, join(it.key()), "added", nullptr, &it.value());
    return;
  }
  if (a.is_array() && b.is_array()) {
    if (a == b) return;
    // Lists of objects with an identity: matched by it, so a bump reads as one change.
    bool keyed = !a.empty() || !b.empty();
    for (const auto* l : {&a, &b})
      for (const auto& e : *l)
        keyed = keyed && identity(e).has_value();
    if (keyed) {
      std::map<std::string, const nlohmann::ordered_json*> before, after;
      std::vector<std::string> order;
      for (const auto& e : a)
        if (before.emplace(*identity(e), &e).second) order.push_back(*identity(e));
      for (const auto& e : b)
        if (after.emplace(*identity(e), &e).second && !before.count(*identity(e)))
          order.push_back(*identity(e));
      if (before.size() == a.size() && after.size() == b.size()) {
        for (const auto& id : order) {
          std::string p = path + "[" + id + "]";
          auto x = before.find(id), y = after.find(id);
          if (y == after.end())
            out.push_back({section_of(p), p, "removed", pinned(*x->second), ""});
          else if (x == before.end())
            out.push_back({section_of(p), p, "added", "", pinned(*y->second)});
          else if (artifact_moved(*x->second, *y->second))
            out.push_back({section_of(p), p, "changed", pinned(*x->second), pinned(*y->second)});
          else
            walk(*x->second, *y->second, p, out);
        }
        return;
      }
    }
    // Scalars (or objects without an identity): what left and what came, in order.
    std::set<std::string> sa, sb;
    for (const auto& e : a)
      sa.insert(e.dump());
    for (const auto& e : b)
      sb.insert(e.dump());
    for (const auto& e : a)
      if (!sb.count(e.dump())) add(out, path, "removed", &e, nullptr);
    for (const auto& e : b)
      if (!sa.count(e.dump())) add(out, path, "added", nullptr, &e);
    if (sa == sb) add(out, path, "changed", &a, &b); // the same elements, reordered
    return;
  }
  if (a != b) add(out, path, "changed", &a, &b);
}

struct Side {
  std::string file;     // readable manifest path
  std::string from, to; // rewrite for its strings (git exports)
  std::vector<std::string> declared;
};

} // namespace

bool ManifestDiff::any() const {
  return std::any_of(platforms.begin(), platforms.end(), [](const PlatformDiff& p) {
    return !p.differences.empty() || p.old_supports != p.new_supports;
  });
}

std::string materialize(const std::string& name, const std::string& scratch, std::string* error) {
  if (!util::starts_with(name, "git:")) return name;
  std::string rest = name.substr(4);
  auto colon = rest.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) {
    *error = name + ": use git:REV:PATH (PATH relative to the repository's top)";
    return "";
  }
  std::string rev = rest.substr(0, colon), path = rest.substr(colon + 1);
  std::string dir = scratch + "/" + std::to_string(std::hash<std::string>{}(rev));
  if (std::string err = git_export(rev, dir); !err.empty()) {
    *error = name + ": " + err;
    return "";
  }
  std::string file = dir + "/" + path;
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    *error = name + ": " + path + " is not a file at " + rev;
    return "";
  }
  return file;
}

std::optional<ManifestDiff> diff_manifests(const std::string& old_name, const std::string& new_name,
                                           const std::vector<std::string>& platforms, Context& ctx,
                                           Reporter& report) {
  auto kb = load_knowledge(ctx, report);
  if (!kb) return std::nullopt;
  ScratchDir tmp("gpucfg-diff");
  if (!tmp.ok()) {
    report.error("cannot make a temporary folder");
    return std::nullopt;
  }
  const std::string& scratch = tmp.path();
  std::string top = git_top();
  Side sides[2];
  const std::string* names[2] = {&old_name, &new_name};
  for (int i = 0; i < 2; ++i) {
    std::string error;
    sides[i].file = materialize(*names[i], scratch + "/" + std::to_string(i), &error);
    if (sides[i].file.empty()) {
      report.error(error);
      return std::nullopt;
    }
    if (sides[i].file != *names[i]) {
      std::string rest = names[i]->substr(4);
      sides[i].from = scratch + "/" + std::to_string(i) + "/" +
                      std::to_string(std::hash<std::string>{}(rest.substr(0, rest.find(':'))));
      sides[i].to = top.empty() ? "." : top;
    }
    util::Diagnostics scratch_diags;
    auto loaded = manifest::load(sides[i].file, ctx.sources, scratch_diags);
    if (loaded.tree) sides[i].declared = manifest::declared_platforms(*loaded.tree);
  }
  std::vector<std::string> ids = platforms;
  if (ids.empty()) {
    for (const auto& s : sides)
      for (const auto& p : s.declared)
        if (std::find(ids.begin(), ids.end(), p) == ids.end()) ids.push_back(p);
    if (ids.empty()) ids.push_back(platform::host().id());
  }
  ManifestDiff d;
  d.old_name = old_name;
  d.new_name = new_name;
  for (const auto& id : ids) {
    PlatformDiff pd;
    pd.platform = id;
    nlohmann::ordered_json resolved[2];
    for (int i = 0; i < 2; ++i) {
      const auto& decl = sides[i].declared;
      bool supports = decl.empty() || std::find(decl.begin(), decl.end(), id) != decl.end();
      (i == 0 ? pd.old_supports : pd.new_supports) = supports;
      if (!supports) continue;
      auto checked = manifest::check(sides[i].file, {id}, *kb, ctx.sources, ctx.diags);
      if (ctx.diags.has_errors() || checked.stacks.empty()) return std::nullopt;
      resolved[i] = resolved_json(checked.stacks.front(), sides[i].from, sides[i].to);
    }
    if (pd.old_supports && pd.new_supports) pd.differences = compare(resolved[0], resolved[1]);
    d.platforms.push_back(std::move(pd));
  }
  return d;
}

std::vector<Difference> compare(const nlohmann::ordered_json& before,
                                const nlohmann::ordered_json& after) {
  std::vector<Difference> out;
  walk(before, after, "", out);
  return out;
}

} // namespace gpucfg::session
