#include "store/key.hpp"

#include "util/sha256.hpp"

#include <algorithm>

namespace gpucfg::store {

namespace {
// Fields joined with a separator no field holds (NUL), each list prefixed by its length, so no
// two different inputs read alike.
void add(std::string& text, const std::string& field) {
  text += field;
  text += '\0';
}
} // namespace

std::string archives_key(const std::vector<source::Artifact>& archives,
                         const std::string& version_json, const std::string& target_arch) {
  std::string text;
  add(text, k_rules);
  add(text, "archives");
  add(text, std::to_string(archives.size()));
  for (const auto& a : archives) {
    if (a.sha256.empty()) return "";
    add(text, a.sha256);
    add(text, a.layout);
    add(text, a.component);
    std::vector<std::string> comps = a.components;
    std::sort(comps.begin(), comps.end());
    add(text, std::to_string(comps.size()));
    for (const auto& c : comps)
      add(text, c);
  }
  add(text, version_json);
  add(text, target_arch);
  return util::sha256_hex(text);
}

std::string folder_key(const std::vector<ListedFile>& listing) {
  std::vector<ListedFile> sorted = listing;
  std::sort(sorted.begin(), sorted.end(),
            [](const ListedFile& a, const ListedFile& b) { return a.path < b.path; });
  std::string text;
  add(text, k_rules);
  add(text, "folder");
  add(text, std::to_string(sorted.size()));
  for (const auto& f : sorted) {
    add(text, f.path);
    add(text, f.kind);
    add(text, f.link_target);
    add(text, std::to_string(f.size));
    add(text, std::to_string(f.mtime_ns));
    add(text, std::to_string(f.mode));
  }
  return util::sha256_hex(text);
}

std::string wheel_key(const source::Artifact& wheel, const std::string& bytecode_tag) {
  if (wheel.sha256.empty()) return "";
  std::string text;
  add(text, k_rules);
  add(text, "wheel");
  add(text, wheel.sha256);
  add(text, bytecode_tag);
  return util::sha256_hex(text);
}

std::vector<std::string> describe_inputs(const std::vector<source::Artifact>& archives) {
  std::vector<std::string> out;
  for (const auto& a : archives)
    out.push_back((a.name.empty() ? a.file : a.name) + " sha256:" + a.sha256.substr(0, 12));
  return out;
}

} // namespace gpucfg::store
