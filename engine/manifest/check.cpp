#include "manifest/check.hpp"

#include "manifest/validate.hpp"
#include "util/strings.hpp"

namespace gpucfg::manifest {

Checked check(const std::string& path, const std::vector<std::string>& requested,
              const knowledge::Knowledge& kb, util::SourceSet& sources, util::Diagnostics& diags) {
  Checked out;
  out.loaded = load(path, sources, diags);
  if (!out.loaded.tree) return out;
  std::vector<std::string> ids = requested;
  if (ids.empty()) ids = declared_platforms(*out.loaded.tree);
  if (ids.empty()) ids.push_back(platform::host().id());
  bool decoded_any = false;
  for (const auto& id : ids) {
    const platform::Platform* p = platform::find(id);
    if (!p && requested.empty() && !decoded_any) {
      // An unknown id inside the manifest: decoding for the host reports it at its position.
      p = &platform::host();
    } else if (!p) {
      if (!requested.empty())
        diags.error({path, 0, 0}, "unknown platform '" + id + "'" +
                                      util::did_you_mean(id, platform::known_ids()));
      continue;
    }
    decoded_any = true;
    if (auto stack = decode(out.loaded, *p, diags)) {
      validate(*stack, kb, diags);
      out.stacks.push_back(std::move(*stack));
    }
  }
  return out;
}

} // namespace gpucfg::manifest
