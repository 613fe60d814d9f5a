// From a Stack to the list of paths it wants and how each should be. Pure.
#include "plan/env_render.hpp"
#include "plan/planner.hpp"
#include "platform/platform.hpp"
#include "source/layout.hpp"
#include "store/key.hpp"
#include "util/glob.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

#include <map>
#include <tuple>

namespace gpucfg::plan {
namespace {

bool linux_platform(const manifest::Stack& s) {
  return s.platform->os() == platform::Os::linux;
}

std::string loader_conf(const manifest::Stack& s) {
  return "/etc/ld.so.conf.d/gpucfg-" + s.metadata.name + ".conf";
}

std::string parent(const std::string& p) {
  auto pos = p.find_last_of("/\\");
  return pos == std::string::npos ? p : p.substr(0, pos);
}

std::string base(const std::string& p) {
  auto pos = p.find_last_of("/\\");
  return pos == std::string::npos ? p : p.substr(pos + 1);
}

std::string source_dir(const std::optional<manifest::Source>& src) {
  if (src && src->kind == manifest::Source::Kind::directory && !src->artifacts.empty())
    return src->artifacts.front().location;
  return {};
}

// cuDNN placement rules; without any, the package's include/ and lib*/ go to the same places.
std::vector<std::pair<std::string, std::string>> place_rules(const manifest::Stack& s) {
  std::vector<std::pair<std::string, std::string>> rules;
  const auto& c = *s.cudnn;
  for (const auto& p : c.place)
    rules.emplace_back(p.from, p.to.value);
  if (rules.empty()) {
    std::string pre = c.prefix.value;
    rules = {{"include/cudnn*.h", pre + "/include"},
             {"lib/libcudnn*", pre + "/lib64"},
             {"lib64/libcudnn*", pre + "/lib64"}};
  }
  return rules;
}

const source::Resolved* resolved(const Observed& o, const char* key) {
  auto it = o.resolved.find(key);
  return it == o.resolved.end() || it->second.artifacts.empty() ? nullptr : &it->second;
}

// The folder whose files cuDNN's `place:` rules pick from: a `directory:` source, or (`into:
// cuda`, not joining the toolkit's tree) the archive unpacked in the cache. "" when there is
// none yet.
std::string cudnn_package_dir(const manifest::Stack& s, const Observed& o) {
  const auto* packed = resolved(o, "cudnn");
  return packed && s.cudnn->into_cuda ? packed->unpacked_dir : source_dir(s.cudnn->source);
}

std::string megabytes(std::uint64_t n) {
  return n ? util::megabytes(n) : "size not declared";
}

void add_archives(Desired& d, const source::Resolved& r) {
  for (const auto& a : r.artifacts)
    d.artifacts.push_back(a);
}

// What a placement rule is expected to place, from the files cuDNN's packages of that major hold
// on this OS (knowledge/cudnn.yaml): a reviewer sees cudnn64_8.dll go into bin before anything
// is downloaded. Labelled as expected; the archive's own list replaces it once it is unpacked.
void expect_files(Desired& d, const std::string& glob, const std::string& to, bool linux,
                  const util::Version& version, const knowledge::Knowledge* kb) {
  const auto* known = kb ? kb->cudnn_files(version, linux ? "linux" : "windows") : nullptr;
  if (!known) return;
  for (const auto& f : known->of(version))
    if (util::glob_match(glob, f, true))
      d.files.push_back(f + " -> " + to + (linux ? "/" : "\\") + base(f));
  std::string which = "cuDNN " + std::to_string(known->major) + "'s packages for " +
                      (linux ? "Linux" : "Windows") + " (knowledge/cudnn.yaml, source " +
                      known->source.id + ", " + known->source.status + ")";
  d.files_from = d.files.empty() ? "expected to match no file of " + which
                                 : "expected: the files of " + which +
                                       "; listed from the archive itself once it is unpacked";
}

} // namespace

bool cudnn_joins_toolkit(const manifest::Stack& s, const Observed& o) {
  return s.cudnn && s.cudnn->into_cuda && s.cudnn->place.empty() && resolved(o, "cuda") &&
         resolved(o, "cudnn");
}

std::string describe(const source::Artifact& a) {
  static const std::map<std::string, std::string> how = {{"cache", "in the cache"},
                                                         {"file", "local file"},
                                                         {"download", "to download"},
                                                         {"pip", "pip download"},
                                                         {"missing", "MISSING"}};
  auto it = how.find(a.available);
  std::string where = it == how.end() ? a.available : it->second;
  if (a.layout == "sdist") // published as source only: built once per interpreter, then a wheel
    return "build " + a.name + " from its locked source " + a.file + " sha256:" + a.sha256 + " (" +
           where + ")";
  if (!a.build_of.empty())
    return "  with " + a.file + " sha256:" + a.sha256 + " (" + where + "; builds " + a.build_of +
           ", not installed)";
  if (a.layout == "python") // the lock is what a reviewer checks: the file and its pin
    return "install " + a.file + " sha256:" + a.sha256 + " (" + where + ")";
  return "unpack " + a.name + " (" + megabytes(a.size) + ", " + where + ")";
}

EnvEdit env_edit(const manifest::EnvVar& v) {
  EnvEdit e;
  e.name = v.name;
  e.scope = v.scope;
  if (v.set) e.set = v.set->value;
  e.unset = v.unset;
  for (const auto& p : v.prepend)
    e.prepend.push_back(p.value);
  for (const auto& p : v.append)
    e.append.push_back(p.value);
  for (const auto& p : v.remove)
    e.remove.push_back(p.value);
  return e;
}

namespace {
// The file a Windows alias copies: its target, beside the alias unless it names a folder.
std::string windows_alias_source(const manifest::FileEntry& f) {
  return f.source.value.find('\\') == std::string::npos
             ? parent(f.path.value) + "\\" + f.source.value
             : f.source.value;
}
} // namespace

Wanted wanted(const manifest::Stack& s, const std::string& home, const probe::Facts& facts) {
  Wanted w;
  env_wanted(s, facts, w);
  if (!linux_platform(s))
    for (const auto& v : s.env)
      w.variables.push_back({v.scope, v.name});
  if (s.cuda) {
    w.paths.push_back(s.cuda->prefix.value);
    if (s.cuda->active && linux_platform(s)) w.paths.push_back("/usr/local/cuda");
    if (auto dir = source_dir(s.cuda->source); !dir.empty()) w.folders.push_back(dir);
  }
  if (s.cudnn)
    if (auto dir = source_dir(s.cudnn->source); !dir.empty()) w.source_dirs.push_back(dir);
  for (const auto& f : s.files) {
    w.paths.push_back(f.path.value);
    if (f.op == manifest::FileEntry::Op::copy && !util::starts_with(f.source.value, "http"))
      w.paths.push_back(util::starts_with(f.source.value, "file://") ? f.source.value.substr(7)
                                                                     : f.source.value);
    if (f.op == manifest::FileEntry::Op::alias && !linux_platform(s))
      w.paths.push_back(windows_alias_source(f)); // a copy there: its source is compared
  }
  if (linux_platform(s)) {
    for (const char* scope : {"system", "user"}) {
      auto files = env_files(scope, home, s.metadata.name);
      for (const auto& f : {files.profile, files.environment, files.hook})
        if (!f.empty()) w.paths.push_back(f);
    }
    w.paths.push_back(loader_conf(s));
  }
  return w;
}

std::vector<std::string> placement_errors(const manifest::Stack& s, const Observed& o) {
  std::vector<std::string> errors;
  if (!s.cudnn || !o.live || cudnn_joins_toolkit(s, o)) return errors;
  const auto& c = *s.cudnn;
  std::string dir = cudnn_package_dir(s, o);
  if (dir.empty()) return errors; // nothing listed yet (no source, or not unpacked before apply)
  auto it = o.sources.find(dir);
  if (it == o.sources.end() || it->second.empty()) {
    errors.push_back("cudnn.source: " + dir + " does not exist or holds no files (" +
                     (c.source ? c.source->mark.str() : c.mark.str()) + ")");
    return errors;
  }
  auto matches = [&](const std::string& glob) {
    for (const auto& f : it->second)
      if (util::glob_match(glob, f.relative, true)) return true;
    return false;
  };
  // A rule that places nothing would let apply succeed with no cuDNN in the toolkit.
  for (const auto& p : c.place)
    if (!matches(p.from))
      errors.push_back("cudnn.place: '" + p.from + "' matches no file of the cuDNN package in " +
                       dir + " (" + p.mark.str() + ")");
  if (c.place.empty()) {
    bool any = false;
    for (const auto& [glob, to] : place_rules(s))
      any = any || matches(glob);
    if (!any) errors.push_back("cudnn: " + dir + " holds no cudnn header or library to place");
  }
  return errors;
}

std::vector<Desired> desired_state(const manifest::Stack& s, const Observed& observed,
                                   const knowledge::Knowledge* kb) {
  std::vector<Desired> out;
  const bool linux = linux_platform(s);
  if (s.cuda) {
    const auto& c = *s.cuda;
    bool adopt = c.source && c.source->kind == manifest::Source::Kind::adopt;
    Desired d{c.prefix.value,
              "tree",
              "",
              source_dir(c.source),
              "",
              "",
              "",
              Resource::toolkit,
              "CUDA " + c.version.value.str() + " in " + c.prefix.value,
              "cuda.version",
              c.version.mark.str()};
    if (const auto* r = resolved(observed, "cuda")) {
      add_archives(d, *r);
      d.content = r->version_json;
      if (cudnn_joins_toolkit(s, observed)) add_archives(d, *resolved(observed, "cudnn"));
      d.summary += " from " + std::to_string(d.artifacts.size()) + " archive(s)";
      d.key = store::archives_key(d.artifacts, d.content, source::target_arch(s.platform->id()));
    } else if (auto it = observed.folders.find(d.from); it != observed.folders.end()) {
      d.key = store::folder_key(it->second);
    }
    d.needs_source = !adopt && d.from.empty() && d.artifacts.empty();
    if (adopt) d.kind = "adopt";
    out.push_back(d);
    if (adopt)
      out.push_back({c.prefix.value, "adopted", "", "", "", "", "", Resource::toolkit,
                     "adopt CUDA " + c.version.value.str() + " in " + c.prefix.value +
                         ": record its files, to see later changes",
                     "cuda.source: adopt", c.version.mark.str()});
    if (c.active && linux)
      out.push_back({"/usr/local/cuda", "symlink", "", "", "", c.prefix.value, "",
                     Resource::active_toolkit,
                     "the active toolkit: /usr/local/cuda -> " + c.prefix.value, "cuda.active",
                     c.mark.str()});
  }
  if (s.cudnn) {
    const auto& c = *s.cudnn;
    // cuDNN archives into a toolkit gpucfg did not unpack: placed from the archive unpacked in
    // the cache (a path on this computer), like a `directory:` source is placed.
    const auto* packed = resolved(observed, "cudnn");
    bool from_cache = packed && c.into_cuda;
    std::string dir = cudnn_package_dir(s, observed);
    bool adopt = c.source && c.source->kind == manifest::Source::Kind::adopt;
    std::string what = "cuDNN " + c.version.value.str();
    // A toolkit tree gpucfg unpacks has lib/ with lib64 a link to it (source/layout.hpp): a file
    // placed into lib64 is recorded where it really lies, or rollback would take it for the
    // user's.
    auto rules = place_rules(s);
    if (linux && s.cuda && resolved(observed, "cuda"))
      for (auto& [from, to] : rules)
        if (to == s.cuda->prefix.value + "/lib64") to = s.cuda->prefix.value + "/lib";
    if (cudnn_joins_toolkit(s, observed)) {
      // unpacked with the toolkit (above)
    } else if (const auto* r = resolved(observed, "cudnn"); r && !c.into_cuda) {
      Desired d;
      d.path = c.prefix.value;
      d.kind = "tree";
      d.resource = Resource::cudnn;
      d.summary = what + " in " + c.prefix.value;
      d.why = "cudnn.version";
      d.origin = c.version.mark.str();
      add_archives(d, *r);
      d.key = store::archives_key(d.artifacts, "", source::target_arch(s.platform->id()));
      out.push_back(d);
    } else if (adopt) {
      out.push_back({c.prefix.value, "adopt-cudnn", "", "", "", "", "", Resource::cudnn,
                     what + " in " + c.prefix.value, "cudnn.source: adopt", c.version.mark.str()});
    } else if (dir.empty()) {
      // No package to list yet: one entry per placement rule says what goes where.
      for (const auto& [from, to] : rules) {
        Desired d{to + (linux ? "/" : "\\") + base(from),
                  "file",
                  "",
                  "",
                  "",
                  "",
                  "",
                  Resource::cudnn,
                  what + ": " + from + " -> " + to,
                  "cudnn.place",
                  c.mark.str()};
        d.needs_source = true;
        if (from_cache) {
          // The archive is named, so a reviewer sees where the files come from before any
          // download; the files themselves are listed once it is unpacked.
          d.summary = what + " from " + packed->artifacts.front().file + ": " + from + " -> " + to;
          d.why = "each file listed once the archive is unpacked (apply and fetch do that)";
        }
        expect_files(d, from, to, linux, c.version.value, kb);
        out.push_back(d);
      }
    } else {
      auto it = observed.sources.find(dir);
      for (const auto& [glob, to] : rules) {
        if (it == observed.sources.end()) break;
        for (const auto& f : it->second)
          if (util::glob_match(glob, f.relative, true)) {
            std::string dest = to + (linux ? "/" : "\\") + base(f.relative);
            if (f.kind == "symlink")
              out.push_back({dest, "symlink", "", "", "", f.link_target, "", Resource::cudnn,
                             what + ": " + f.relative, "cudnn.place " + glob, c.mark.str()});
            else {
              // Libraries keep their executable bit, as the package has them.
              Desired d{dest,
                        "file",
                        "",
                        dir + "/" + f.relative,
                        f.sha256,
                        "",
                        (f.mode & 0111) ? "0755" : "0644",
                        Resource::cudnn,
                        what + ": " + f.relative,
                        "cudnn.place " + glob,
                        c.mark.str()};
              d.from_host = from_cache;
              out.push_back(d);
            }
          }
      }
    }
  }
  for (const auto& f : s.files) {
    Desired d;
    d.path = f.path.value;
    d.resource = Resource::file;
    d.origin = f.path.mark.str();
    d.why = f.why;
    d.mode = f.mode;
    switch (f.op) {
    case manifest::FileEntry::Op::copy:
      d.kind = "file";
      d.from =
          util::starts_with(f.source.value, "file://") ? f.source.value.substr(7) : f.source.value;
      d.sha256 = f.sha256;
      d.summary = "copy of " + f.source.value;
      break;
    case manifest::FileEntry::Op::alias:
      // An alias is the same library under another name: a link on Linux, a copy on Windows
      // (creating symbolic links there needs a privilege most accounts lack).
      if (linux) {
        d.kind = "symlink";
        d.link_target = f.source.value;
      } else {
        d.kind = "file";
        d.from = windows_alias_source(f);
      }
      d.summary = "alias of " + f.source.value;
      break;
    case manifest::FileEntry::Op::symlink:
      d.kind = "symlink";
      d.link_target = f.source.value;
      d.summary = "link to " + f.source.value;
      break;
    case manifest::FileEntry::Op::absent:
      d.kind = "absent";
      d.summary = "must not exist";
      break;
    }
    out.push_back(d);
  }
  if (linux) {
    for (const char* scope : {"system", "user"}) {
      auto files = env_files(scope, observed.home, s.metadata.name);
      std::string profile = render_profile(s.env, scope, s.metadata.name);
      std::string what = "environment (" + std::string(scope) +
                         "): " + std::to_string(count_scope(s.env, scope)) + " variable(s)";
      std::vector<std::tuple<std::string, std::string, std::string>> files_of_scope = {
          {files.profile, profile, what},
          {files.environment, render_environment_d(s.env, scope, s.metadata.name),
           what + " for systemd"}};
      if (!files.hook.empty() && !profile.empty())
        files_of_scope.emplace_back(
            files.hook, render_user_hook(files.profile, observed.home, s.metadata.name),
            "login shells source each user's ~/.config/gpucfg/env-" + s.metadata.name + ".sh");
      for (const auto& [path, content, summary] : files_of_scope) {
        if (content.empty()) continue;
        out.push_back({path, "file", content, "", util::sha256_hex(content), "", "0644",
                       Resource::env, summary, "env", s.env.front().mark.str()});
      }
    }
    if (!s.loader_paths.empty()) {
      std::string content = "# Managed by gpucfg for '" + s.metadata.name + "'.\n";
      for (const auto& p : s.loader_paths)
        content += p.value + "\n";
      out.push_back({loader_conf(s), "file", content, "", util::sha256_hex(content), "", "0644",
                     Resource::loader, "loader paths: " + std::to_string(s.loader_paths.size()),
                     "loader.paths", s.loader_paths.front().mark.str()});
    }
  } else {
    for (const auto& v : s.env) {
      std::string value;
      if (v.set)
        value = "= " + v.set->value;
      else if (v.unset)
        value = "(unset)";
      for (const auto& p : v.prepend)
        value += (value.empty() ? "prepend " : ", ") + p.value;
      for (const auto& p : v.append)
        value += (value.empty() ? "append " : ", ") + p.value;
      for (const auto& p : v.remove)
        value += (value.empty() ? "remove " : ", ") + p.value;
      // The content is the edit itself (plan/winenv.hpp), so a saved plan applies what it shows.
      out.push_back({"env:" + v.name, "setenv", to_content(env_edit(v)), "", "", "", "",
                     Resource::env, v.name + " " + value,
                     "env." + v.name + " (" + v.scope + " scope)", v.mark.str()});
    }
  }
  return out;
}

} // namespace gpucfg::plan
