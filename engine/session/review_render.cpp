// The review as one pull-request comment: a headline, labels, then per manifest its diff and
// the fleet plan of the new version. GitHub refuses comments over 65,536 characters, so when
// the whole would not fit, the fleets' per-host plans go first (their tables stay), then the
// diffs' details, and a line says what was left out.
#include "session/review.hpp"

namespace gpucfg::session {
namespace {

constexpr std::size_t kBudget = 60000;

std::string headline(const Review& r) {
  std::string lab;
  for (const auto& l : r.labels)
    lab += (lab.empty() ? "" : " ") + std::string("`") + l + "`";
  return "## gpucfg review: `" + r.base + "` -> `" + r.head + "`\n\n" +
         std::to_string(r.manifests.size()) + " manifest(s) affected" +
         (r.any_failed() ? "; **a plan fails**" : "") + ". Labels: " + lab + "\n";
}

// The fleet's table only: render_fleet_markdown up to its first <details>.
std::string table_only(const std::string& fleet_md) {
  auto at = fleet_md.find("<details>");
  return at == std::string::npos ? fleet_md : fleet_md.substr(0, at);
}

std::string section(const ReviewedManifest& m, int detail) {
  std::string out = "\n### `" + m.path + "` (" +
                    (m.status == "base-changed" ? "a base it extends changed" : m.status) + ")\n\n";
  for (const auto& e : m.errors)
    out += "- **error**: " + e + "\n";
  if (m.diff) {
    std::string d = render_diff_markdown(*m.diff);
    out += detail >= 1 ? d : d.substr(0, d.find("\n<details>")) + "\n";
  }
  if (m.fleet) {
    std::string f = render_fleet_markdown(*m.fleet);
    out += "\n" + (detail >= 2 ? f : table_only(f));
  }
  return out;
}

} // namespace

std::string render_review_markdown(const Review& r) {
  // Most detail first; less until the comment fits.
  for (int detail = 2; detail >= 0; --detail) {
    std::string out = headline(r);
    for (const auto& m : r.manifests)
      out += section(m, detail);
    if (detail < 2)
      out += "\n_Shortened to fit one comment: " +
             std::string(detail == 1 ? "the per-host plans"
                                     : "the per-host plans and the diffs' "
                                       "details") +
             " are left out; `gpucfg review` prints them in full locally._\n";
    if (out.size() <= kBudget || detail == 0)
      return out.size() <= kBudget ? out
                                   : out.substr(0, kBudget) + "\n\n_(cut at " +
                                         std::to_string(kBudget) + " characters)_\n";
  }
  return "";
}

} // namespace gpucfg::session
