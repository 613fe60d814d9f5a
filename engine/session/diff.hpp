// `gpucfg diff OLD NEW`: what a change to a manifest does to the stack, per platform. Both sides
// are resolved exactly as plan resolves them (extends merged, variables expanded, `when:`
// applied, defaults filled: manifest::resolve_for_show) and compared value by value, so a change
// in a shared base shows in every stack that extends it. Either side may be a file or
// `git:REV:PATH` (the repository's tree at REV, so its bases are REV's too).
#pragma once

#include "session/planning.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace gpucfg::session {

struct Difference {
  std::string section; // versions, sources, files, env, loader, python, requires, verify, other
  std::string path;    // where in the resolved manifest: "cuda.source.artifacts[nvidia-cublas]"
  std::string change;  // added | removed | changed
  std::string before, after; // JSON text of the values ("" for the side that has none)
};

struct PlatformDiff {
  std::string platform;
  bool old_supports = true, new_supports = true; // the platform is declared by that side
  std::vector<Difference> differences;
};

struct ManifestDiff {
  std::string old_name, new_name; // as given
  std::vector<PlatformDiff> platforms;
  bool any() const;
};

// A manifest named as a file or `git:REV:PATH`, made readable as a file: for git, REV's whole
// tree is exported (`git archive`) to a temporary folder under `scratch` so `extends` resolves
// at the same revision. "" with *error set on failure.
std::string materialize(const std::string& name, const std::string& scratch, std::string* error);

// Both sides resolved for each platform (the union of what they declare, or `platforms`).
// nullopt when either side cannot be read (diagnostics in ctx, the rest reported).
std::optional<ManifestDiff> diff_manifests(const std::string& old_name, const std::string& new_name,
                                           const std::vector<std::string>& platforms, Context& ctx,
                                           Reporter& report);

std::string render_diff_text(const ManifestDiff& d);
std::string render_diff_markdown(const ManifestDiff& d);
nlohmann::json diff_json(const ManifestDiff& d);

// The value-by-value comparison of two resolved manifests (pure; exposed for tests).
std::vector<Difference> compare(const nlohmann::ordered_json& before,
                                const nlohmann::ordered_json& after);

} // namespace gpucfg::session
