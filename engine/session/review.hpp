// `gpucfg review`: what a pull request does to a team's stacks, as one Markdown comment a CI job
// posts. The manifests affected are those whose file, or a base they extend, changed between the
// base and the head revision; for each, the diff (session/diff) and, with a fleet folder, the
// fleet plan of the new version (session/fleet). Labels summarise it the way plan's do.
#pragma once

#include "session/diff.hpp"
#include "session/fleet.hpp"

#include <optional>
#include <string>
#include <vector>

namespace gpucfg::session {

struct ReviewRequest {
  std::string base;                   // a git revision (the pull request's target)
  std::string head;                   // a git revision; "" for the working tree
  std::vector<std::string> fleet;     // facts files or folders; empty: no fleet plans
  std::vector<std::string> manifests; // folders (or files) holding the team's stacks; default "."
  PlanRequest plan;                   // source flags for the fleet plans
};

struct ReviewedManifest {
  std::string path;                 // relative to the repository's top
  std::string status;               // added | removed | changed | base-changed
  std::optional<ManifestDiff> diff; // not for added/removed
  std::optional<FleetPlan> fleet;   // the new version on the fleet (not for removed)
  std::vector<std::string> errors;  // why a part could not be made
};

struct Review {
  std::string base, head;
  std::vector<std::string> changed_files; // every file the revisions differ in
  std::vector<ReviewedManifest> manifests;
  std::vector<std::string> labels;
  bool any_failed() const; // a fleet host fails, or a manifest could not be read
};

std::optional<Review> review(const ReviewRequest& req, Reporter& report);
std::string render_review_markdown(const Review& r);

} // namespace gpucfg::session
