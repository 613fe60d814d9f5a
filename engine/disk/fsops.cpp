#include "disk/fsops.hpp"

#include "util/fileinfo.hpp"
#include "util/os.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace gpucfg::disk {

namespace fs = std::filesystem;

Status copy_tree(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec) return "mkdir " + to + ": " + ec.message();
  for (fs::recursive_directory_iterator it(from, ec), end; !ec && it != end; it.increment(ec)) {
    fs::path rel =
        it->path().lexically_relative(from); // lexical: links inside must not be followed
    fs::path dest = fs::path(to) / rel;
    auto st = it->symlink_status();
    if (fs::is_symlink(st)) {
      fs::create_symlink(fs::read_symlink(it->path()), dest, ec);
    } else if (fs::is_directory(st)) {
      fs::create_directories(dest, ec);
    } else if (fs::is_regular_file(st)) {
      unsigned mode = static_cast<unsigned>(st.permissions()) & 07777u;
      if (Status s = copy_file(it->path().string(), dest.string(), mode, nullptr); !s.empty())
        return s;
    }
    if (ec) return "copy " + it->path().string() + ": " + ec.message();
  }
  return ec ? "copy " + from + ": " + ec.message() : "";
}

Status remove_tree(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  return ec ? "remove " + path + ": " + ec.message() : "";
}

Status make_dirs(const std::string& path, std::vector<std::string>* created) {
  std::vector<fs::path> missing;
  for (fs::path p = fs::u8path(path); !p.empty() && p != p.root_path() && !exists(p.u8string());
       p = p.parent_path())
    missing.push_back(p);
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    // 0755 whatever the umask: folders made for a toolkit or a loader path must be readable by
    // every user (a root umask of 077 would otherwise hide /usr/local/cuda-X from them).
    if (Status s = make_one_dir(it->u8string(), 0755); !s.empty()) return s;
    if (created) created->push_back(it->u8string());
  }
  return "";
}

bool exists(const std::string& path) {
  return util::lstat_info(path).has_value();
}

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(fs::u8path(path), std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Status write_atomic(const std::string& path, const std::string& data) {
  std::string tmp = path + ".tmp";
  remove_file(tmp); // left by a killed writer; write_file never writes through it
  if (Status s = write_file(tmp, data, 0644); !s.empty()) return s;
  if (Status s = rename_replace(tmp, path); !s.empty()) return s;
  return fsync_parent(path);
}

// The link primitives are util's, shared with archive extraction; here they gain the path.
Status hard_link(const std::string& existing, const std::string& link) {
  auto why = util::make_hard_link(existing, link);
  return why.empty() ? "" : "link " + existing + " -> " + link + ": " + why;
}

Status make_symlink(const std::string& target, const std::string& link) {
  auto why = util::make_symbolic_link(target, link);
  return why.empty() ? "" : "symlink " + link + ": " + why;
}

Status remove_file(const std::string& path) {
  auto why = util::remove_link_or_file(path);
  return why.empty() ? "" : "remove " + path + ": " + why;
}

Status fsync_parent(const std::string& path) {
  return fsync_path(fs::path(path).parent_path().string());
}

} // namespace gpucfg::disk
