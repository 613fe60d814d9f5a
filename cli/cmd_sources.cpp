// gpucfg fetch (every archive a manifest needs, into the cache, for an air-gapped apply) and
// gpucfg capture (an installed toolkit packed into archives, an index and a manifest).
#include "common.hpp"
#include "plan_common.hpp"
#include "platform/platform.hpp"
#include "source/capture.hpp"
#include "source/fetch.hpp"
#include "store/store.hpp"
#include "util/strings.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>

namespace gpucfg::cli {

namespace {

// One manifest on one platform: resolve, fetch, and copy into the mirror when asked. False when
// something failed (printed). A toolkit or cuDNN with nothing to install from is a failure:
// fetching it "successfully" would hide that apply will refuse.
bool fetch_one(const std::string& manifest, const std::string& platform, const PlanRequest& req,
               const std::string& mirror, std::size_t& count, std::uint64_t& bytes) {
  Context ctx;
  auto stack = load_stack(ctx, manifest, platform);
  if (!stack) return false;
  bool ok = true;
  auto unsourced = [&](bool present, bool has_source, plan::Resource r) {
    if (present && !has_source) {
      std::cerr << "gpucfg: " << manifest << ": " << plan::no_source(r, platform)
                << " (nothing to fetch; apply would refuse it)\n";
      ok = false;
    }
  };
  unsourced(stack->cuda.has_value(), stack->cuda && stack->cuda->source, plan::Resource::toolkit);
  unsourced(stack->cudnn.has_value(), stack->cudnn && stack->cudnn->source, plan::Resource::cudnn);
  plan::Observed sources;
  Context settings; // the mirror settings' own problems (the manifest's are printed)
  sources.resolved = session::resolve_sources(*stack, req, settings);
  print_diagnostics(settings);
  std::vector<source::Artifact*> all;
  for (auto& [key, r] : sources.resolved) {
    for (const auto& e : r.errors)
      std::cerr << "gpucfg: " << e << "\n";
    ok = ok && r.errors.empty();
    for (auto& a : r.artifacts)
      all.push_back(&a);
  }
  // cuDNN to be placed into a toolkit is also unpacked, so an offline apply finds it ready
  // (only for this computer's platform: another's is fetched, not used here).
  bool here = platform == platform::host().id();
  StderrReporter report;
  ok = ok && session::fetch_artifacts(all, req.allow_unpinned, report) &&
       (!here || session::place_from_cache(*stack, sources, true, req.allow_unpinned, report));
  for (const auto* a : all)
    bytes += a->size;
  count += all.size();
  if (!ok || mirror.empty()) return ok;
  std::string cache = store::default_dir();
  for (auto& [key, r] : sources.resolved) {
    std::vector<const source::Artifact*> files(r.indexes.size());
    for (std::size_t i = 0; i < r.indexes.size(); ++i)
      files[i] = &r.indexes[i];
    for (const auto& a : r.artifacts)
      files.push_back(&a);
    for (const auto* a : files) {
      std::string err;
      if (source::mirror_file(*a, cache, mirror, &err).empty()) {
        std::cerr << "gpucfg: " << err << "\n";
        ok = false;
      }
    }
  }
  return ok;
}

} // namespace

void add_fetch(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "fetch", "Download and check every archive manifests install, into the cache, so a later "
               "apply needs no network; with --mirror, also lay them out as a team mirror");
  struct Opts {
    PlanRequest req;
    std::vector<std::string> manifests, platforms;
    std::string mirror;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("manifests", o->manifests, "Manifest files")->required();
  cmd->add_option("--platform", o->platforms,
                  "Fetch for this platform (linux-x86_64, linux-sbsa, windows-x86_64); "
                  "repeatable; default: this computer's");
  cmd->add_option("--mirror", o->mirror,
                  "Also copy every file into this folder, laid out as GPUCFG_MIRROR expects")
      ->type_name("DIR");
  cmd->add_flag("--allow-unpinned", o->req.allow_unpinned,
                "Accept archives and wheels without a sha256 pin (their hash is printed)");
  cmd->footer("\nExamples:\n  gpucfg fetch manifests/tf-2.16.yaml\n"
              "  GPUCFG_CACHE_DIR=/mnt/usb/gpucfg gpucfg fetch --platform windows-x86_64 m.yaml\n"
              "  gpucfg fetch --mirror /srv/mirror --platform linux-x86_64 --platform "
              "windows-x86_64 manifests/tf-2.*.yaml\n"
              "  GPUCFG_MIRROR=/srv/mirror gpucfg apply --yes manifests/tf-2.5.yaml   # on "
              "another machine\n");
  cmd->callback([o, &exit_code] {
    if (o->platforms.empty()) o->platforms.push_back(platform::host().id());
    bool ok = true;
    std::size_t count = 0;
    std::uint64_t bytes = 0;
    for (const auto& m : o->manifests)
      for (const auto& p : o->platforms)
        ok = fetch_one(m, p, o->req, o->mirror, count, bytes) && ok;
    std::cout << (ok ? "Fetched " : "Could not fetch all of ") << count << " archive(s), "
              << (bytes + 500000) / 1000000 << " MB declared, into " << store::default_dir()
              << (o->mirror.empty() ? "" : " and " + o->mirror) << "\n";
    exit_code = ok ? k_ok : k_error;
  });
}

void add_capture(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "capture", "Pack an installed toolkit into redist-style archives with a redistrib index and "
                 "a manifest that reinstalls it from them (a team's mirror)");
  auto o = std::make_shared<source::CaptureOptions>();
  auto components = std::make_shared<std::string>();
  cmd->add_option("prefix", o->prefix, "The installed toolkit, e.g. /usr/local/cuda-13.0")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--out", o->out_dir, "Folder for the archives, the index and the manifest")
      ->type_name("DIR")
      ->required();
  cmd->add_option("--components", *components,
                  "Comma-separated components (default: all); the error lists what there is");
  cmd->add_option("--exclude", o->exclude,
                  "Leave out files matching this glob (relative to the prefix); repeatable");
  cmd->add_option("--format", o->format,
                  "tar.zst (default: fast on few cores), tar.xz (as NVIDIA's) or tar.gz")
      ->check(CLI::IsMember({"tar.xz", "tar.gz", "tar.zst"}));
  cmd->add_option("--level", o->level, "Compression level (default 3)");
  cmd->add_option("--install-prefix", o->install_prefix,
                  "Where the written manifest installs it (default: the captured prefix)");
  cmd->add_option("--name", o->name, "metadata.name of the written manifest");
  cmd->footer("\nExamples:\n  gpucfg capture /usr/local/cuda-13.0 --out /srv/mirror/cuda-13.0\n"
              "  gpucfg capture /usr/local/cuda-13.0 --out m --components cuda_nvcc,cudnn "
              "--exclude 'lib/libcudnn_*' --format tar.gz --level 1\n");
  cmd->callback([o, components, &exit_code] {
    if (!components->empty()) o->components = util::split(*components, ',');
    o->platform_id = platform::host().id();
    auto r = source::capture(*o);
    if (!r.error.empty()) {
      std::cerr << "gpucfg: capture: " << r.error << "\n";
      exit_code = k_error;
      return;
    }
    for (const auto& c : r.components)
      std::cout << "  " << c.key << " " << c.version << ": " << c.files << " files, "
                << util::megabytes(c.unpacked_size) << " -> " << c.archive << " ("
                << util::megabytes(c.size) << ")\n";
    if (!r.unrecorded.empty()) {
      std::vector<std::string> some(
          r.unrecorded.begin(),
          r.unrecorded.begin() +
              static_cast<std::ptrdiff_t>(std::min<std::size_t>(8, r.unrecorded.size())));
      bool taken = std::any_of(r.components.begin(), r.components.end(),
                               [](const auto& c) { return c.key == "unrecorded"; });
      std::cout << r.unrecorded.size()
                << " file(s) no wheel's RECORD lists form the component 'unrecorded' ("
                << util::join(some, ", ") << (r.unrecorded.size() > 8 ? ", ..." : "") << ")"
                << (taken ? "" : "; not captured: add it to --components") << "\n";
    }
    std::cout << "Wrote " << r.index << "\nWrote " << r.manifest << "\n";
    exit_code = k_ok;
  });
}

} // namespace gpucfg::cli
