#include "plan/winenv.hpp"

#include "util/strings.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace gpucfg::plan {

namespace {

std::string folded(std::string s) {
  while (!s.empty() && (s.back() == '\\' || s.back() == '/'))
    s.pop_back();
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool same(const std::string& a, const std::string& b) {
  return folded(a) == folded(b);
}

} // namespace

std::string to_content(const EnvEdit& e) {
  nlohmann::ordered_json j = {{"name", e.name}, {"scope", e.scope}};
  if (e.set) j["set"] = *e.set;
  if (e.unset) j["unset"] = true;
  if (!e.prepend.empty()) j["prepend"] = e.prepend;
  if (!e.append.empty()) j["append"] = e.append;
  if (!e.remove.empty()) j["remove"] = e.remove;
  return j.dump();
}

std::optional<EnvEdit> env_edit_from(const std::string& content) {
  auto j = nlohmann::json::parse(content, nullptr, false);
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string()) return std::nullopt;
  try {
    EnvEdit e;
    e.name = j["name"].get<std::string>();
    e.scope = j.value("scope", std::string("system"));
    if (j.contains("set")) e.set = j["set"].get<std::string>();
    e.unset = j.value("unset", false);
    e.prepend = j.value("prepend", std::vector<std::string>{});
    e.append = j.value("append", std::vector<std::string>{});
    e.remove = j.value("remove", std::vector<std::string>{});
    if (e.name.empty() || (e.scope != "system" && e.scope != "user")) return std::nullopt;
    return e;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

std::optional<std::string> edited(const std::optional<std::string>& current, const EnvEdit& e) {
  if (e.unset) return std::nullopt;
  std::string base = e.set ? *e.set : current.value_or("");
  if (e.prepend.empty() && e.append.empty() && e.remove.empty()) return e.set ? e.set : current;
  std::vector<std::string> items;
  for (const auto& part : util::split(base, ';'))
    if (!part.empty()) items.push_back(part);
  auto has = [&](const std::string& x) {
    return std::any_of(items.begin(), items.end(), [&](const auto& i) { return same(i, x); });
  };
  items.erase(std::remove_if(items.begin(), items.end(),
                             [&](const std::string& i) {
                               return std::any_of(e.remove.begin(), e.remove.end(),
                                                  [&](const auto& r) { return same(i, r); });
                             }),
              items.end());
  std::vector<std::string> front;
  for (const auto& p : e.prepend)
    if (!has(p)) front.push_back(p);
  items.insert(items.begin(), front.begin(), front.end());
  for (const auto& a : e.append)
    if (!has(a)) items.push_back(a);
  if (items.empty() && !current && !e.set) return std::nullopt;
  return util::join(items, ";");
}

} // namespace gpucfg::plan
