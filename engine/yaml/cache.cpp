#include "yaml/cache.hpp"

#include "disk/fsops.hpp"
#include "util/os.hpp"
#include "util/sha256.hpp"
#include "util/trust.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>

namespace gpucfg::yaml {
namespace {

constexpr const char* k_format = "gpucfg-yaml-1";

void put_number(std::string& out, std::size_t n) { // LEB128
  do {
    unsigned char b = n & 0x7f;
    n >>= 7;
    out.push_back(static_cast<char>(n ? b | 0x80 : b));
  } while (n);
}

void put(std::string& out, const Value& v) {
  out.push_back(static_cast<char>(v.kind));
  out.push_back(v.quoted ? 1 : 0);
  put_number(out, static_cast<std::size_t>(v.mark.line));
  put_number(out, static_cast<std::size_t>(v.mark.col));
  put_number(out, v.expanded_size);
  put_number(out, v.scalar.size());
  out += v.scalar;
  put_number(out, v.items.size());
  for (const auto& i : v.items)
    put(out, *i);
  put_number(out, v.entries.size());
  for (const auto& [k, val] : v.entries) {
    put(out, *k);
    put(out, *val);
  }
}

struct Reader {
  const std::string& in;
  std::size_t pos = 0;
  bool ok = true;

  std::size_t number() {
    std::size_t n = 0;
    for (int shift = 0; ok; shift += 7) {
      if (pos >= in.size() || shift > 56) return ok = false, 0;
      auto b = static_cast<unsigned char>(in[pos++]);
      n |= static_cast<std::size_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    return n;
  }

  ValuePtr node(const std::string& file, int depth) {
    if (depth > 64 || pos + 2 > in.size()) return ok = false, nullptr;
    auto v = std::make_shared<Value>();
    auto kind = static_cast<unsigned char>(in[pos++]);
    if (kind > static_cast<unsigned char>(Value::Kind::mapping)) return ok = false, nullptr;
    v->kind = static_cast<Value::Kind>(kind);
    v->quoted = in[pos++] != 0;
    v->mark = {file, static_cast<int>(number()), static_cast<int>(number())};
    v->expanded_size = number();
    std::size_t len = number();
    if (!ok || len > in.size() - pos) return ok = false, nullptr;
    v->scalar = in.substr(pos, len);
    pos += len;
    for (std::size_t n = number(); ok && n > 0; --n)
      if (auto i = node(file, depth + 1)) v->items.push_back(i);
    for (std::size_t n = number(); ok && n > 0; --n) {
      auto k = node(file, depth + 1);
      auto val = ok ? node(file, depth + 1) : nullptr;
      if (k && val) v->entries.emplace_back(k, val);
    }
    return ok ? v : nullptr;
  }
};

void keep(const std::string& path, const std::string& bytes) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  std::string tmp =
      path + ".tmp." + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return;
    out << bytes;
    if (!out.flush()) return fs::remove(tmp, ec), void();
  }
  fs::rename(tmp, path, ec); // atomic: a reader sees a whole entry or none
  if (ec) fs::remove(tmp, ec);
}

} // namespace

std::string encode(const Value& v) {
  std::string out = k_format;
  out.push_back('\n');
  put(out, v);
  return out;
}

ValuePtr decode(const std::string& bytes, const std::string& file) {
  std::string head = std::string(k_format) + "\n";
  if (bytes.compare(0, head.size(), head) != 0) return nullptr;
  Reader r{bytes, head.size()};
  auto v = r.node(file, 0);
  return r.ok && r.pos == bytes.size() ? v : nullptr;
}

ValuePtr read_yaml_file_cached(const std::string& path, const std::string& cache_dir,
                               util::SourceSet& sources, util::Diagnostics& diags) {
  if (cache_dir.empty() || !not_a_file(path).empty()) return read_yaml_file(path, sources, diags);
  auto text = disk::read_text(path);
  ReadLimits limits;
  if (!text || text->size() > limits.max_bytes) return read_yaml_file(path, sources, diags);
  sources.add(path, *text); // caret lines, as read_yaml_file registers them
  std::string entry =
      cache_dir + "/yaml/" + util::sha256_hex(std::string(k_format) + "\n" + *text).substr(0, 40);
  // As root, an entry someone else could have written is not believed (one rule: root reads
  // what root owns).
  if (!(util::is_superuser() && util::untrusted(entry)))
    if (auto bytes = disk::read_text(entry))
      if (auto v = decode(*bytes, path)) return v;
  // Parsed with diagnostics of its own: `diags` says an error it has seen before only once, so
  // its count cannot tell whether this parse found one.
  util::Diagnostics own;
  auto v = read_yaml(path, *text, own, limits);
  for (const auto& d : own.all())
    diags.add(d);
  if (own.has_errors()) return nullptr;
  if (v) keep(entry, encode(*v));
  return v;
}

} // namespace gpucfg::yaml
