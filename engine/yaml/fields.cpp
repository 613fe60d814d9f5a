#include "yaml/fields.hpp"

#include "util/strings.hpp"

#include <algorithm>

namespace gpucfg::yaml {

Fields::Fields(const Value& v, std::string where, util::Diagnostics& diags)
    : m_value(v), m_where(std::move(where)), m_diags(diags) {
  if (!v.is_mapping() && !v.is_null()) {
    m_diags.error(v.mark, m_where + " must be a mapping (key: value), not " + v.kind_name());
    m_ok = false;
  }
}

Fields::~Fields() {
  done();
}

const Value* Fields::get(const std::string& key) {
  m_known.push_back(key);
  return m_value.is_mapping() ? m_value.find(key) : nullptr;
}

const Value* Fields::require(const std::string& key) {
  const Value* v = get(key);
  if (!v && m_ok) m_diags.error(m_value.mark, m_where + " needs '" + key + "'");
  return v;
}

void Fields::allow(std::initializer_list<const char*> keys) {
  for (const char* k : keys)
    m_known.emplace_back(k);
}

void Fields::done() {
  if (m_done) return;
  m_done = true;
  if (!m_value.is_mapping()) return;
  for (const auto& [k, v] : m_value.entries) {
    if (std::find(m_known.begin(), m_known.end(), k->scalar) != m_known.end()) continue;
    m_diags.error(k->mark, "unknown key '" + k->scalar + "' in " + m_where +
                               util::did_you_mean(k->scalar, m_known));
  }
}

std::optional<std::string> scalar_text(const Value& v, const std::string& what,
                                       util::Diagnostics& diags) {
  if (v.is_scalar()) return v.scalar;
  diags.error(v.mark, what + " must be a string, not " + v.kind_name());
  return std::nullopt;
}

std::optional<bool> boolean(const Value& v, const std::string& what, util::Diagnostics& diags) {
  if (v.is_scalar() && !v.quoted) {
    if (v.scalar == "true") return true;
    if (v.scalar == "false") return false;
  }
  diags.error(v.mark, what + " must be true or false");
  return std::nullopt;
}

std::vector<const Value*> scalar_list(const Value& v, const std::string& what,
                                      util::Diagnostics& diags) {
  std::vector<const Value*> out;
  if (v.is_scalar()) {
    out.push_back(&v);
  } else if (v.is_sequence()) {
    for (const auto& i : v.items) {
      if (i->is_scalar())
        out.push_back(i.get());
      else
        diags.error(i->mark, "entries of " + what + " must be strings, not " + i->kind_name());
    }
  } else {
    diags.error(v.mark, what + " must be a string or a list of strings, not " + v.kind_name());
  }
  return out;
}

} // namespace gpucfg::yaml
