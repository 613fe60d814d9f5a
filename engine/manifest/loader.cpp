#include "manifest/loader.hpp"

#include "knowledge/knowledge.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;

namespace gpucfg::manifest {
namespace {

constexpr std::size_t k_max_chain = 16;

// The path a `files` entry manages, which is what identifies it across bases and overlays.
std::string file_entry_identity(const Value& entry) {
  if (!entry.is_mapping()) return {};
  for (const char* op : {"copy", "alias", "symlink", "absent"})
    if (const Value* v = entry.find(op); v && v->is_scalar()) return v->scalar;
  return {};
}

ValuePtr merge_lists_by(const ValuePtr& base, const ValuePtr& over,
                        std::string (*identity)(const Value&)) {
  auto out = std::make_shared<Value>(*base);
  out->mark = over->mark;
  for (const auto& item : over->items) {
    std::string id = identity(*item);
    auto same = [&](const ValuePtr& b) { return !id.empty() && identity(*b) == id; };
    auto it = std::find_if(out->items.begin(), out->items.end(), same);
    if (it != out->items.end())
      *it = item;
    else
      out->items.push_back(item);
  }
  return out;
}

// A package is named by `name` (an overlay pins or drops its base's package by naming it).
std::string package_identity(const Value& entry) {
  const Value* v = entry.is_mapping() ? entry.find("name") : &entry;
  return v && v->is_scalar() ? v->scalar : std::string();
}

std::string scalar_identity(const Value& v) {
  return v.is_scalar() ? v.scalar : std::string();
}

ValuePtr merge_at(const ValuePtr& base, const ValuePtr& over, const std::string& path) {
  if (!base) return over;
  if (path == "files" && base->is_sequence() && over->is_sequence())
    return merge_lists_by(base, over, file_entry_identity);
  if (path == "packages" && base->is_sequence() && over->is_sequence())
    return merge_lists_by(base, over, package_identity);
  if (path == "loader.paths" && base->is_sequence() && over->is_sequence())
    return merge_lists_by(base, over, scalar_identity);
  // A source is replaced whole: a team's redistrib index over a curated manifest's wheels must
  // not become a source naming both.
  if (path == "cuda.source" || path == "cudnn.source") return over;
  if (!base->is_mapping() || !over->is_mapping() || path.rfind("env.", 0) == 0) return over;

  auto out = std::make_shared<Value>(*base);
  out->mark = over->mark;
  for (const auto& [key, value] : over->entries) {
    std::string child = path.empty() ? key->scalar : path + "." + key->scalar;
    const std::string& name = key->scalar; // clang 14 cannot capture a structured binding
    auto it = std::find_if(out->entries.begin(), out->entries.end(),
                           [&](const auto& e) { return e.first->scalar == name; });
    if (value->is_null() && it != out->entries.end() && path.empty()) {
      out->entries.erase(it); // `cudnn: null` in an overlay drops the base's section
      continue;
    }
    if (it == out->entries.end())
      out->entries.emplace_back(key, value);
    else
      it->second = merge_at(it->second, value, child);
  }
  return out;
}

ValuePtr without_keys(const ValuePtr& v, std::initializer_list<const char*> keys) {
  auto out = std::make_shared<Value>(*v);
  out->entries.erase(std::remove_if(out->entries.begin(), out->entries.end(),
                                    [&](const auto& e) {
                                      return std::any_of(
                                          keys.begin(), keys.end(),
                                          [&](const char* k) { return e.first->scalar == k; });
                                    }),
                     out->entries.end());
  return out;
}

struct ChainLoader {
  util::SourceSet& sources;
  util::Diagnostics& diags;
  const ReadLimits& limits;
  std::vector<std::string> stack; // canonical paths being loaded, for cycle detection
  std::vector<std::string> files;

  ValuePtr load(const std::string& path, const util::Mark& from) {
    std::error_code ec;
    std::string canon = fs::weakly_canonical(fs::u8path(path), ec).generic_u8string();
    if (ec) canon = path;
    if (auto it = std::find(stack.begin(), stack.end(), canon); it != stack.end()) {
      std::vector<std::string> cycle(it, stack.end());
      cycle.push_back(canon);
      for (auto& c : cycle)
        c = fs::path(c).filename().string();
      diags.error(from, "extends cycle: " + util::join(cycle, " -> "));
      return nullptr;
    }
    if (stack.size() >= k_max_chain) {
      diags.error(from, "extends chain deeper than " + std::to_string(k_max_chain) + " files");
      return nullptr;
    }
    if (std::string why = yaml::not_a_file(path); !from.file.empty() && !why.empty()) {
      diags.error(from, "extended manifest '" + path + "': " + why);
      return nullptr;
    }
    ValuePtr doc = yaml::read_yaml_file(path, sources, diags, limits);
    if (!doc) return nullptr;
    if (!doc->is_mapping()) {
      diags.error(doc->mark,
                  "a manifest is a mapping (apiVersion:, kind:, …), not " + doc->kind_name());
      return nullptr;
    }
    stack.push_back(canon);
    ValuePtr merged;
    bool ok = true;
    if (const Value* ext = doc->find("extends")) {
      std::vector<const Value*> entries;
      if (ext->is_scalar())
        entries.push_back(ext);
      else if (ext->is_sequence())
        for (const auto& i : ext->items)
          entries.push_back(i.get());
      else
        diags.error(ext->mark, "extends takes a path or a list of paths");
      for (const Value* e : entries) {
        if (!e->is_scalar() || e->scalar.empty()) {
          diags.error(e->mark, "extends entries are relative paths to other manifests");
          ok = false;
          continue;
        }
        fs::path base = fs::u8path(path).parent_path() / fs::u8path(e->scalar);
        // `catalogue:NAME`: a curated manifest as installed with gpucfg (its data folder), so a
        // team's repository extends it without a copy that goes stale.
        if (util::starts_with(e->scalar, "catalogue:")) {
          std::string name = e->scalar.substr(10);
          base = fs::path(knowledge::data_dir()) / "manifests" / (name + ".yaml");
          std::error_code exists_ec;
          if (name.empty() || name.find('/') != std::string::npos ||
              !fs::is_regular_file(base, exists_ec)) {
            std::vector<std::string> known;
            for (const auto& f :
                 fs::directory_iterator(fs::path(knowledge::data_dir()) / "manifests", exists_ec))
              if (f.path().extension() == ".yaml") known.push_back(f.path().stem().string());
            diags.error(e->mark, "no curated manifest '" + name + "' in " + knowledge::data_dir() +
                                     "/manifests" + util::did_you_mean(name, known));
            ok = false;
            continue;
          }
        }
        // Forward slashes everywhere: a plan names the same file on Windows as on Linux.
        ValuePtr b = load(base.lexically_normal().generic_u8string(), e->mark);
        if (!b) {
          ok = false;
          continue;
        }
        merged = merge_at(merged, without_keys(b, {"metadata", "extends"}), "");
      }
    }
    stack.pop_back();
    // A diamond (two bases extending one file) reads it twice; list it once.
    if (std::find(files.begin(), files.end(), path) == files.end()) files.push_back(path);
    if (!ok) return nullptr;
    return merged ? merge_at(merged, doc, "") : doc;
  }
};

} // namespace

ValuePtr merge_documents(const ValuePtr& base, const ValuePtr& over) {
  return merge_at(without_keys(base, {"metadata", "extends"}), over, "");
}

Loaded load(const std::string& path, util::SourceSet& sources, util::Diagnostics& diags,
            const ReadLimits& limits) {
  ChainLoader loader{sources, diags, limits, {}, {}};
  Loaded out;
  out.tree = loader.load(path, {});
  out.files = std::move(loader.files);
  return out;
}

} // namespace gpucfg::manifest
