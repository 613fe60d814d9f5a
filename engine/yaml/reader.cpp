#include "yaml/reader.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unordered_map>
#include <unordered_set>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

namespace gpucfg::yaml {

const Value* Value::find(std::string_view key) const {
  for (const auto& [k, v] : entries)
    if (k->scalar == key) return v.get();
  return nullptr;
}

ValuePtr Value::find_ptr(std::string_view key) const {
  for (const auto& [k, v] : entries)
    if (k->scalar == key) return v;
  return nullptr;
}

std::string Value::kind_name() const {
  switch (kind) {
  case Kind::null:
    return "nothing (null)";
  case Kind::scalar:
    return "a scalar";
  case Kind::sequence:
    return "a list";
  case Kind::mapping:
    return "a mapping";
  }
  return "?";
}

ValuePtr clone(const Value& v) {
  auto c = std::make_shared<Value>(v);
  for (auto& item : c->items)
    item = clone(*item);
  for (auto& [k, val] : c->entries) {
    k = clone(*k);
    val = clone(*val);
  }
  return c;
}

std::size_t find_invalid_utf8(const std::string& s) {
  std::size_t i = 0, n = s.size();
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  while (i < n) {
    unsigned char c = byte(i);
    std::size_t len;
    unsigned int cp;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07u;
    } else
      return i;
    if (i + len > n) return i;
    for (std::size_t k = 1; k < len; ++k) {
      if ((byte(i + k) & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (byte(i + k) & 0x3Fu);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are invalid too.
    static const unsigned int min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[len] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return i;
    i += len;
  }
  return std::string::npos;
}

namespace {

util::Mark mark_at_offset(const std::string& file, const std::string& text, std::size_t off) {
  int line = 1, col = 1;
  for (std::size_t i = 0; i < off && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else
      ++col;
  }
  return {file, line, col};
}

// Thrown by the handler to stop the parser at the first limit crossed; the reason is already
// in the diagnostics.
struct StopParsing {};

class TreeBuilder final : public YAML::EventHandler {
public:
  TreeBuilder(std::string file, util::Diagnostics& diags, const ReadLimits& limits)
      : m_file(std::move(file)), m_diags(diags), m_limits(limits) {}

  ValuePtr root() const { return m_root; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++m_documents > 1) {
      m_diags.error(to_mark(mark),
                    "a manifest holds exactly one YAML document; found a second one");
      throw StopParsing{};
    }
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto v = node(Value::Kind::null, mark);
    finish(v, anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = m_anchors.find(anchor);
    if (it == m_anchors.end()) {
      m_diags.error(to_mark(mark), "alias to an unknown or unfinished anchor");
      throw StopParsing{};
    }
    // The alias shares the anchored subtree; its expanded size counts again.
    attach(it->second, to_mark(mark));
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    check_tag(mark, tag);
    auto v = node(Value::Kind::scalar, mark);
    v->scalar = value;
    v->quoted = tag == "!"; // yaml-cpp gives "!" to quoted scalars and "?" to plain ones
    if (v->quoted) m_quoted.insert(static_cast<std::size_t>(mark.pos));
    finish(v, anchor);
  }

  // Where each quoted scalar starts (byte offsets), to tell a quote from an apostrophe.
  const std::unordered_set<std::size_t>& quoted() const { return m_quoted; }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    check_tag(mark, tag);
    open(node(Value::Kind::sequence, mark), anchor);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    check_tag(mark, tag);
    open(node(Value::Kind::mapping, mark), anchor);
  }
  void OnMapEnd() override { close(); }

private:
  struct Frame {
    ValuePtr value;
    YAML::anchor_t anchor;
    ValuePtr pending_key;                      // mappings alternate key, value
    std::unordered_map<std::string, int> keys; // key -> line of first definition
  };

  util::Mark to_mark(const YAML::Mark& m) const { return {m_file, m.line + 1, m.column + 1}; }

  ValuePtr node(Value::Kind kind, const YAML::Mark& mark) {
    auto v = std::make_shared<Value>();
    v->kind = kind;
    v->mark = to_mark(mark);
    return v;
  }

  void check_tag(const YAML::Mark& mark, const std::string& tag) {
    if (tag.empty() || tag == "?" || tag == "!") return;
    m_diags.error(to_mark(mark), "YAML tags ('" + tag + "') are not part of the manifest language");
    throw StopParsing{};
  }

  void open(ValuePtr v, YAML::anchor_t anchor) {
    if (static_cast<int>(m_stack.size()) >= m_limits.max_depth) {
      m_diags.error(v->mark, "nesting deeper than " + std::to_string(m_limits.max_depth) +
                                 " levels; a manifest never needs that");
      throw StopParsing{};
    }
    m_stack.push_back({std::move(v), anchor, nullptr, {}});
  }

  void close() {
    Frame f = std::move(m_stack.back());
    m_stack.pop_back();
    finish(f.value, f.anchor);
  }

  void finish(const ValuePtr& v, YAML::anchor_t anchor) {
    if (anchor) m_anchors[anchor] = v;
    attach(v, v->mark);
  }

  void attach(const ValuePtr& v, const util::Mark& where) {
    m_total += v->expanded_size;
    if (m_total > m_limits.max_nodes) {
      m_diags.error(where, "the document expands to more than " +
                               std::to_string(m_limits.max_nodes) +
                               " nodes (aliases included); refusing to expand it");
      throw StopParsing{};
    }
    if (m_stack.empty()) {
      m_root = v;
      return;
    }
    Frame& f = m_stack.back();
    f.value->expanded_size += v->expanded_size;
    if (f.value->is_sequence()) {
      f.value->items.push_back(v);
      return;
    }
    if (!f.pending_key) {
      if (!v->is_scalar()) {
        m_diags.error(where, "mapping keys must be plain strings, not " + v->kind_name());
        throw StopParsing{};
      }
      auto [it, inserted] = f.keys.emplace(v->scalar, v->mark.line);
      if (!inserted) {
        m_diags.error(where, "duplicate key '" + v->scalar + "'",
                      {"first defined at line " + std::to_string(it->second) +
                       "; YAML parsers differ on which one wins, so gpucfg refuses both"});
      }
      f.pending_key = v;
      return;
    }
    f.value->entries.emplace_back(std::move(f.pending_key), v);
    f.pending_key = nullptr;
  }

  std::string m_file;
  util::Diagnostics& m_diags;
  ReadLimits m_limits;
  std::vector<Frame> m_stack;
  std::unordered_map<YAML::anchor_t, ValuePtr> m_anchors;
  ValuePtr m_root;
  std::unordered_set<std::size_t> m_quoted;
  std::size_t m_total = 0;
  int m_documents = 0;
};

// A quote mark that starts a scalar: first on its line, or after ": ", "- ", '[', '{' or ','.
bool starts_scalar(const std::string& text, std::size_t i) {
  std::size_t p = i;
  while (p > 0 && text[p - 1] == ' ')
    --p;
  if (p == 0 || text[p - 1] == '\n') return true;
  char c = text[p - 1];
  return (p < i && (c == ':' || c == '-')) || c == '[' || c == '{' || c == ',';
}

struct QuoteScan {
  std::size_t open_at_end = std::string::npos; // a quote still open where the scan stopped
  std::size_t spanned = std::string::npos;     // the last quote that ran past its own line
};

// Quoted scalars in text[0, end): which one is still open at `end`, and which last ran over a
// line break (legal, but after a forgotten closing quote it is where the trouble starts).
QuoteScan scan_quotes(const std::string& text, std::size_t end) {
  QuoteScan q;
  char open = 0;
  std::size_t at = 0;
  end = std::min(end, text.size());
  for (std::size_t i = 0; i < end; ++i) {
    char c = text[i];
    if (open) {
      if (c == '\n')
        q.spanned = at;
      else if (open == '"' && c == '\\')
        ++i;
      else if (c == open && open == '\'' && i + 1 < text.size() && text[i + 1] == '\'')
        ++i; // '' is a quote inside single quotes
      else if (c == open)
        open = 0;
      continue;
    }
    if (c == '#' && (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\n')) {
      while (i < end && text[i] != '\n')
        ++i;
    } else if ((c == '"' || c == '\'') && starts_scalar(text, i)) {
      open = c;
      at = i;
    }
  }
  if (open) q.open_at_end = at;
  return q;
}

std::string line_col(const std::string& text, std::size_t off) {
  util::Mark m = mark_at_offset("", text, off);
  return std::to_string(m.line) + ":" + std::to_string(m.col);
}

// The start of line `line` (0-based), or npos.
std::size_t line_start(const std::string& text, int line) {
  std::size_t start = 0;
  for (int l = 0; l < line && start != std::string::npos; ++l) {
    start = text.find('\n', start);
    if (start != std::string::npos) ++start;
  }
  return start;
}

// yaml-cpp's messages name the symptom; these name the usual cause.
std::vector<std::string> syntax_hints(const std::string& text, const YAML::Exception& e) {
  std::vector<std::string> hints;
  if (e.msg.find("flow") != std::string::npos)
    hints.push_back("a '{' or '[' opened above is not closed");
  auto q = scan_quotes(text, static_cast<std::size_t>(std::max(e.mark.pos, 0)));
  if (q.spanned != std::string::npos)
    hints.push_back("the quote opened at " + line_col(text, q.spanned) +
                    " does not close on its line: is its closing quote missing?");
  return hints;
}

// Where a line's indentation has a tab, or npos.
std::size_t tab_in_indent(const std::string& text, int line) {
  std::size_t start = line_start(text, line);
  if (start == std::string::npos) return start;
  std::size_t end = text.find_first_not_of(" \t", start);
  std::size_t tab = text.find('\t', start);
  return tab != std::string::npos && (end == std::string::npos || tab < end) ? tab
                                                                             : std::string::npos;
}

} // namespace

ValuePtr read_yaml(const std::string& file, const std::string& text, util::Diagnostics& diags,
                   const ReadLimits& limits) {
  if (text.size() > limits.max_bytes) {
    diags.error({file, 0, 0}, "file is larger than the " + std::to_string(limits.max_bytes) +
                                  "-byte limit for manifests");
    return nullptr;
  }
  if (auto nul = text.find('\0'); nul != std::string::npos) {
    diags.error(mark_at_offset(file, text, nul), "NUL byte in a manifest (is this a binary file?)");
    return nullptr;
  }
  if (auto bad = find_invalid_utf8(text); bad != std::string::npos) {
    diags.error(mark_at_offset(file, text, bad), "invalid UTF-8; manifests must be UTF-8 text");
    return nullptr;
  }
  std::size_t before = diags.error_count();
  TreeBuilder builder(file, diags, limits);
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(builder)) {
    }
  } catch (const StopParsing&) {
    return nullptr;
  } catch (const YAML::Exception& e) {
    // A tab in the indentation is the cause whatever yaml-cpp calls the symptom: say that, there.
    if (std::size_t tab = tab_in_indent(text, e.mark.line); tab != std::string::npos) {
      diags.error(mark_at_offset(file, text, tab),
                  "this line is indented with a tab; YAML indents with spaces only",
                  {"yaml-cpp: " + e.msg});
      return nullptr;
    }
    diags.error({file, e.mark.line + 1, e.mark.column + 1}, "YAML syntax: " + e.msg,
                syntax_hints(text, e));
    return nullptr;
  }
  // yaml-cpp ends an unclosed quoted value at the end of the file without a word, so the
  // manifest would read as one long value: say where the quote opened instead.
  if (auto q = scan_quotes(text, text.size());
      q.open_at_end != std::string::npos && builder.quoted().count(q.open_at_end)) {
    diags.error(mark_at_offset(file, text, q.open_at_end),
                "this quote is never closed: the value runs to the end of the file");
    return nullptr;
  }
  if (diags.error_count() > before) return nullptr;
  ValuePtr root = builder.root();
  if (!root) {
    root = std::make_shared<Value>();
    root->mark = {file, 1, 1};
  }
  return root;
}

std::string not_a_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return errno == ENOENT ? "no such file"
                           : std::string("cannot read it: ") + std::strerror(errno);
  if (S_ISDIR(st.st_mode)) return "is a folder, not a file";
  if (S_ISFIFO(st.st_mode)) return "is a named pipe, not a file (reading it could wait forever)";
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) return "is a device, not a file";
  if (!S_ISREG(st.st_mode)) return "is not a regular file";
  return {};
}

ValuePtr read_yaml_file(const std::string& path, util::SourceSet& sources, util::Diagnostics& diags,
                        const ReadLimits& limits) {
  // Checked before opening: a named pipe would block the read, a device never end.
  if (std::string why = not_a_file(path); !why.empty()) {
    diags.error({path, 0, 0}, why);
    return nullptr;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.error({path, 0, 0}, "cannot open file");
    return nullptr;
  }
  // Read at most one byte past the limit, so a huge file costs no more than that.
  std::string text(limits.max_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() <= limits.max_bytes) sources.add(path, text);
  return read_yaml(path, text, diags, limits);
}

} // namespace gpucfg::yaml
