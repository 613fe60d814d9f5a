// gpucfg fetch (every archive a manifest needs, into the cache, for an air-gapped apply) and
// gpucfg capture (an installed toolkit packed into archives, an index and a manifest).
#include "common.hpp"
#include "plan_common.hpp"
#include "platform/platform.hpp"
#include "source/capture.hpp"
#include "source/fetch.hpp"
#include "util/strings.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

namespace gpucfg::cli {

void add_fetch(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "fetch", "Download and check every archive a manifest installs, into the cache, so a later "
               "apply needs no network (copy the cache, or point GPUCFG_CACHE_DIR at it)");
  struct Opts {
    PlanRequest req;
    std::string platform;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("manifest", o->req.manifest, "Manifest file")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--platform", o->platform,
                  "Fetch for this platform (linux-x86_64, linux-sbsa, windows-x86_64); default: "
                  "this computer's");
  cmd->add_flag("--allow-unpinned", o->req.allow_unpinned,
                "Accept archives and wheels without a sha256 pin (their hash is printed)");
  cmd->footer("\nExamples:\n  gpucfg fetch manifests/tf-2.16.yaml\n"
              "  GPUCFG_CACHE_DIR=/mnt/usb/gpucfg gpucfg fetch --platform windows-x86_64 m.yaml\n");
  cmd->callback([o, &exit_code] {
    Context ctx;
    std::string platform = o->platform.empty() ? platform::host().id() : o->platform;
    auto stack = load_stack(ctx, o->req.manifest, platform);
    if (!stack) {
      exit_code = k_error;
      return;
    }
    plan::Observed sources;
    sources.resolved = resolve_sources(*stack, o->req);
    std::vector<source::Artifact*> all;
    bool ok = true;
    for (auto& [key, r] : sources.resolved) {
      for (const auto& e : r.errors)
        std::cerr << "gpucfg: " << e << "\n";
      ok = ok && r.errors.empty();
      for (auto& a : r.artifacts)
        all.push_back(&a);
    }
    // cuDNN to be placed into a toolkit is also unpacked, so an offline apply finds it ready.
    ok = ok && fetch_artifacts(all, o->req.allow_unpinned) &&
         place_from_cache(*stack, sources, true, o->req.allow_unpinned);
    std::uint64_t bytes = 0;
    for (const auto* a : all)
      bytes += a->size;
    std::cout << (ok ? "Fetched " : "Could not fetch all of ") << all.size() << " archive(s), "
              << (bytes + 500000) / 1000000 << " MB declared, into " << source::default_cache_dir()
              << "\n";
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
      ->required();
  cmd->add_option("--components", *components,
                  "Comma-separated components (default: all); the error lists what there is");
  cmd->add_option("--exclude", o->exclude,
                  "Leave out files matching this glob (relative to the prefix); repeatable");
  cmd->add_option("--format", o->format, "tar.xz (as NVIDIA's), tar.gz or tar.zst")
      ->check(CLI::IsMember({"tar.xz", "tar.gz", "tar.zst"}));
  cmd->add_option("--level", o->level, "Compression level (default 6)");
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
                << (c.unpacked_size + 500000) / 1000000 << " MB -> " << c.archive << " ("
                << (c.size + 500000) / 1000000 << " MB)\n";
    std::cout << "Wrote " << r.index << "\nWrote " << r.manifest << "\n";
    exit_code = k_ok;
  });
}

} // namespace gpucfg::cli
