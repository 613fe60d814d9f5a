#include "util/diagnostic.hpp"

#include <algorithm>
#include <sstream>

namespace gpucfg::util {

std::string Mark::str() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(col);
}

bool Mark::operator<(const Mark& o) const {
  if (file != o.file) return file < o.file;
  if (line != o.line) return line < o.line;
  return col < o.col;
}

bool Mark::operator==(const Mark& o) const {
  return file == o.file && line == o.line && col == o.col;
}

void SourceSet::add(const std::string& file, std::string text) {
  std::vector<std::size_t> starts = {0};
  for (std::size_t p = text.find('\n'); p != std::string::npos; p = text.find('\n', p + 1))
    starts.push_back(p + 1);
  m_line_starts[file] = std::move(starts);
  m_texts[file] = std::move(text);
}

std::string SourceSet::line(const std::string& file, int line) const {
  auto it = m_texts.find(file);
  if (it == m_texts.end() || line <= 0) return {};
  const std::string& t = it->second;
  const auto& starts = m_line_starts.at(file);
  if (static_cast<std::size_t>(line) > starts.size()) return {};
  std::size_t pos = starts[static_cast<std::size_t>(line) - 1];
  if (pos > t.size()) return {};
  std::size_t end = t.find('\n', pos);
  std::string s = t.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
  if (!s.empty() && s.back() == '\r') s.pop_back();
  return s;
}

void Diagnostics::error(const Mark& m, std::string msg, std::vector<std::string> notes) {
  add({Severity::error, m, std::move(msg), std::move(notes)});
}

void Diagnostics::warning(const Mark& m, std::string msg, std::vector<std::string> notes) {
  add({Severity::warning, m, std::move(msg), std::move(notes)});
}

void Diagnostics::add(Diagnostic d) {
  if (!m_seen.emplace(static_cast<int>(d.severity), d.mark.file, d.mark.line, d.mark.col, d.message)
           .second)
    return;
  if (d.severity == Severity::error) ++m_errors;
  if (d.severity == Severity::warning) ++m_warnings;
  m_items.push_back(std::move(d));
}

void Diagnostics::clear() {
  m_items.clear();
  m_seen.clear();
  m_errors = m_warnings = 0;
}

static const char* severity_word(Severity s) {
  switch (s) {
  case Severity::error:
    return "error";
  case Severity::warning:
    return "warning";
  case Severity::note:
    return "note";
  }
  return "error";
}

std::string render_one(const Diagnostic& d, const SourceSet& sources) {
  std::ostringstream out;
  out << d.mark.str() << ": " << severity_word(d.severity) << ": " << d.message << "\n";
  std::string text = sources.line(d.mark.file, d.mark.line);
  if (!text.empty()) {
    std::string num = std::to_string(d.mark.line);
    std::string gutter(num.size(), ' ');
    // Tabs are kept in the caret line so the caret stays under the right character.
    std::string pad;
    for (int i = 1; i < d.mark.col && i <= static_cast<int>(text.size()); ++i)
      pad += text[static_cast<std::size_t>(i - 1)] == '\t' ? '\t' : ' ';
    out << " " << num << " | " << text << "\n";
    out << " " << gutter << " | " << pad << "^\n";
  }
  for (const auto& n : d.notes)
    out << "  note: " << n << "\n";
  return out.str();
}

std::string Diagnostics::render(const SourceSet& sources) const {
  std::string s;
  for (const auto& d : m_items)
    s += render_one(d, sources);
  return s;
}

} // namespace gpucfg::util
