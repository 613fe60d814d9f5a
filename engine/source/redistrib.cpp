#include "source/redistrib.hpp"

#include <nlohmann/json.hpp>

namespace gpucfg::source {
namespace {

using nlohmann::json;

std::uint64_t number(const json& j, const char* key) {
  if (!j.contains(key)) return 0;
  const json& v = j[key];
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_string()) {
    try {
      return std::stoull(v.get<std::string>());
    } catch (const std::exception&) {
    }
  }
  return 0;
}

bool archive_from(const json& j, RedistArchive* out) {
  if (!j.is_object() || !j.contains("relative_path") || !j["relative_path"].is_string())
    return false;
  out->relative_path = j["relative_path"].get<std::string>();
  out->sha256 = j.value("sha256", "");
  out->size = number(j, "size");
  out->unpacked_size = number(j, "unpacked_size");
  return true;
}

} // namespace

// The index as read, throwing on a value of an unexpected type (parse_redistrib catches).
static std::optional<Redistrib> parse_redistrib_json(const std::string& text, std::string* error);

std::optional<Redistrib> parse_redistrib(const std::string& text, std::string* error) {
  // The index may come from a mirror: a value of an unexpected type is a malformed index, not
  // a crash.
  try {
    return parse_redistrib_json(text, error);
  } catch (const json::exception& e) {
    *error = std::string("malformed: ") + e.what();
    return std::nullopt;
  }
}

static std::optional<Redistrib> parse_redistrib_json(const std::string& text, std::string* error) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    *error = "not a JSON object";
    return std::nullopt;
  }
  Redistrib r;
  r.release_label = j.value("release_label", "");
  r.release_product = j.value("release_product", "");
  r.release_date = j.value("release_date", "");
  for (const auto& [key, value] : j.items()) {
    if (!value.is_object() || !value.contains("version")) continue;
    RedistComponent c;
    c.key = key;
    c.name = value.value("name", key);
    c.version = value["version"].is_string() ? value["version"].get<std::string>() : "";
    if (value.contains("cuda_variant") && value["cuda_variant"].is_array())
      for (const auto& v : value["cuda_variant"])
        if (v.is_string()) c.cuda_variants.push_back(v.get<std::string>());
    for (const auto& [platform, entry] : value.items()) {
      if (!entry.is_object()) continue;
      RedistArchive a;
      if (archive_from(entry, &a)) {
        c.archives[platform][""] = a;
        continue;
      }
      for (const auto& [variant, nested] : entry.items()) // cuDNN 9: {"cuda12": {...}}
        if (archive_from(nested, &a)) c.archives[platform][variant] = a;
    }
    r.components.push_back(std::move(c));
  }
  if (r.components.empty()) {
    *error = "no components (objects with a \"version\")";
    return std::nullopt;
  }
  return r;
}

const RedistComponent* find_component(const Redistrib& r, const std::string& key) {
  for (const auto& c : r.components)
    if (c.key == key) return &c;
  return nullptr;
}

std::optional<RedistArchive> select_archive(const RedistComponent& c, const std::string& platform,
                                            const std::string& cuda_major, std::string* error) {
  auto p = c.archives.find(platform);
  if (p == c.archives.end()) {
    std::string have;
    for (const auto& [name, _] : c.archives)
      have += (have.empty() ? "" : ", ") + name;
    *error =
        c.key + " " + c.version + " has no archive for " + platform + " (it has: " + have + ")";
    return std::nullopt;
  }
  if (auto plain = p->second.find(""); plain != p->second.end()) return plain->second;
  if (auto v = p->second.find("cuda" + cuda_major); v != p->second.end()) return v->second;
  std::string have;
  for (const auto& [name, _] : p->second)
    have += (have.empty() ? "" : ", ") + name;
  *error = c.key + " " + c.version + " for " + platform + " has no build for CUDA " +
           (cuda_major.empty() ? "(no cuda version given)" : cuda_major) + " (it has: " + have +
           ")";
  return std::nullopt;
}

} // namespace gpucfg::source
