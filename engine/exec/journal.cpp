#include "exec/journal.hpp"

namespace gpucfg::exec {

namespace {

// The strings of journals written since format 1 (kept, so a journal left by an older gpucfg of
// the same kinds is still undone).
const std::pair<StepKind, const char*> k_names[] = {
    {StepKind::staged, "staged"},         {StepKind::created, "create"},
    {StepKind::replaced, "replace"},      {StepKind::made_dir, "mkdir"},
    {StepKind::remove_dir, "rmdir"},      {StepKind::set_variable, "setenv"},
    {StepKind::ran_ldconfig, "ldconfig"}, {StepKind::packages, "packages"},
};

const char* name_of(StepKind k) {
  for (const auto& [kind, name] : k_names)
    if (kind == k) return name;
  return "?";
}

} // namespace

std::string to_text(const Journal& j) {
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : j.steps) {
    nlohmann::json o = {{"kind", name_of(s.kind)}};
    if (!s.path.empty()) o["path"] = s.path;
    if (!s.backup.empty()) o["backup"] = s.backup;
    if (s.kind == StepKind::set_variable) {
      o["scope"] = s.scope;
      o["name"] = s.name;
      o["before"] = s.before
                        ? nlohmann::json{{"value", s.before->value}, {"expand", s.before->expand}}
                        : nlohmann::json(nullptr);
    }
    if (s.kind == StepKind::packages) {
      o["packages"] = nlohmann::json::array();
      for (const auto& t : s.packages)
        o["packages"].push_back(
            {{"name", t.name}, {"version", t.version}, {"hold", t.hold.value_or(false)}});
    }
    steps.push_back(o);
  }
  return nlohmann::json{{"generation", j.generation}, {"steps", steps}}.dump();
}

std::optional<Journal> parse_journal(const std::string& text, std::string* error) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("steps") || !j["steps"].is_array()) {
    *error = "not a journal gpucfg wrote (unreadable JSON)";
    return std::nullopt;
  }
  Journal out;
  try {
    out.generation = j.value("generation", 0);
    std::size_t n = 0;
    for (const auto& o : j["steps"]) {
      ++n;
      std::string kind = o.value("kind", "");
      Step s;
      bool known = false;
      for (const auto& [k, name] : k_names)
        if (kind == name) s.kind = k, known = true;
      if (!known) {
        *error = "step " + std::to_string(n) + " is of a kind this gpucfg does not know ('" + kind +
                 "')";
        return std::nullopt;
      }
      s.path = o.value("path", "");
      s.backup = o.value("backup", "");
      if (s.kind == StepKind::set_variable) {
        s.scope = o.value("scope", "system");
        s.name = o.value("name", "");
        if (o.contains("before") && o["before"].is_object())
          s.before = util::RegistryValue{o["before"].value("value", ""),
                                         o["before"].value("expand", false)};
      }
      if (s.kind == StepKind::packages)
        for (const auto& t : o.value("packages", nlohmann::json::array()))
          s.packages.push_back(
              {t.at("name").get<std::string>(), t.value("version", ""), t.value("hold", false)});
      bool needs_path = s.kind != StepKind::set_variable && s.kind != StepKind::ran_ldconfig &&
                        s.kind != StepKind::packages;
      if ((needs_path && s.path.empty()) || (s.kind == StepKind::replaced && s.backup.empty())) {
        *error = "step " + std::to_string(n) + " ('" + kind + "') names no path";
        return std::nullopt;
      }
      out.steps.push_back(std::move(s));
    }
  } catch (const nlohmann::json::exception& e) {
    *error = std::string("a field of the wrong type: ") + e.what();
    return std::nullopt;
  }
  return out;
}

} // namespace gpucfg::exec
