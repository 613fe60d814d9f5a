// Positioned diagnostics: every manifest problem is reported as
//   file:line:col: error: message
//     12 |   verion: 11.2
//        |   ^
// and several can be collected in one run. Nothing here throws.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace gpucfg::util {

// A place in a source file. Lines and columns count from 1; line 0 means "the whole file".
struct Mark {
  std::string file;
  int line = 0;
  int col = 0;

  std::string str() const; // "file:line:col", or "file" when line is 0
  bool operator<(const Mark& o) const;
  bool operator==(const Mark& o) const;
};

enum class Severity { error, warning, note };

struct Diagnostic {
  Severity severity = Severity::error;
  Mark mark;
  std::string message;
  std::vector<std::string> notes; // "while …" context or hints, printed indented after the caret
};

// Keeps the text of every file read, so diagnostics can quote the offending line.
class SourceSet {
public:
  void add(const std::string& file, std::string text);
  // The line (without its newline) or an empty string when unknown.
  std::string line(const std::string& file, int line) const;

private:
  std::map<std::string, std::string> m_texts;
  std::map<std::string, std::vector<std::size_t>> m_line_starts; // so a caret costs no rescan
};

// Collects diagnostics in the order found; the same (mark, message) is kept once, which matters
// when one manifest is checked for several platforms.
class Diagnostics {
public:
  void error(const Mark& m, std::string msg, std::vector<std::string> notes = {});
  void warning(const Mark& m, std::string msg, std::vector<std::string> notes = {});
  void add(Diagnostic d);

  bool has_errors() const { return m_errors > 0; }
  std::size_t error_count() const { return m_errors; }
  std::size_t warning_count() const { return m_warnings; }
  const std::vector<Diagnostic>& all() const { return m_items; }
  void clear();

  // Renders every diagnostic with its source line and a caret.
  std::string render(const SourceSet& sources) const;

private:
  // What was said already (severity, place, message): a set, as a manifest may bring thousands.
  std::set<std::tuple<int, std::string, int, int, std::string>> m_seen;
  std::vector<Diagnostic> m_items;
  std::size_t m_errors = 0;
  std::size_t m_warnings = 0;
};

std::string render_one(const Diagnostic& d, const SourceSet& sources);

} // namespace gpucfg::util
