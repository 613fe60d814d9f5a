#include "source/archive.hpp"

#include "source/container.hpp"
#include "source/libarchive_util.hpp"
#include "source/write_behind.hpp"
#include "source/zipdir.hpp"
#include "util/fileinfo.hpp"
#include "util/os.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

namespace gpucfg::source {

namespace fs = std::filesystem;

namespace {

// Reads the archive file on its own thread, hashing each block, and hands the blocks to
// libarchive through a small bounded queue: hashing overlaps decompression and memory stays at
// a few MiB whatever the archive's size. It reads to the end even past libarchive's last
// header, so the hash covers every byte.
class Feeder {
public:
  // `skip`: bytes at the front that are hashed but not handed on (a self-extractor's header).
  Feeder(int fd, std::uint64_t limit, std::uint64_t skip = 0)
      : m_fd(fd), m_limit(limit), m_skip(skip) {
    m_thread = std::thread([this] { read_all(); });
  }
  ~Feeder() { finish(); }

  // libarchive's read callback.
  la_ssize_t next(const void** buf) {
    std::unique_lock<std::mutex> lock(m_mutex);
    if (!m_current.empty()) m_spare.push_back(std::move(m_current));
    m_cv.notify_all();
    m_cv.wait(lock, [&] { return !m_full.empty() || m_done; });
    if (m_full.empty()) return 0;
    m_current = std::move(m_full.front());
    m_full.pop_front();
    m_cv.notify_all();
    *buf = m_current.data();
    return static_cast<la_ssize_t>(m_current.size());
  }

  // Drains what libarchive did not read and waits for the reader. Idempotent.
  void finish() {
    {
      std::unique_lock<std::mutex> lock(m_mutex);
      m_draining = true;
      m_full.clear();
      m_cv.notify_all();
    }
    if (m_thread.joinable()) m_thread.join();
  }

  std::string sha256() { return m_hash.hex(); }
  std::uint64_t bytes() const { return m_bytes; }
  const std::string& error() const { return m_error; }

private:
  void read_all() {
    for (;;) {
      std::vector<char> block;
      {
        std::unique_lock<std::mutex> lock(m_mutex);
        m_cv.wait(lock, [&] { return m_draining || m_full.size() < 4; });
        if (!m_spare.empty()) {
          block = std::move(m_spare.back());
          m_spare.pop_back();
        }
      }
      block.resize(k_archive_block);
      std::int64_t n = util::read_at(m_fd, block.data(), block.size(), m_bytes);
      std::unique_lock<std::mutex> lock(m_mutex);
      if (n < 0) m_error = "read failed";
      std::size_t drop = 0;
      if (n > 0) {
        if (m_bytes < m_skip)
          drop = static_cast<std::size_t>(std::min<std::uint64_t>(n, m_skip - m_bytes));
        m_bytes += static_cast<std::uint64_t>(n);
        if (m_limit && m_bytes > m_limit) {
          m_error = "the archive is larger than its declared " + std::to_string(m_limit) + " bytes";
          n = -1;
        }
      }
      if (n <= 0) {
        m_done = true;
        m_cv.notify_all();
        return;
      }
      block.resize(static_cast<std::size_t>(n));
      m_hash.update(block.data(), block.size());
      block.erase(block.begin(), block.begin() + static_cast<std::ptrdiff_t>(drop));
      if (!m_draining && !block.empty()) m_full.push_back(std::move(block));
      m_cv.notify_all();
    }
  }

  int m_fd;
  std::uint64_t m_limit, m_skip;
  std::thread m_thread;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::deque<std::vector<char>> m_full;
  std::vector<std::vector<char>> m_spare;
  std::vector<char> m_current;
  bool m_done = false, m_draining = false;
  std::string m_error;
  std::uint64_t m_bytes = 0;
  util::Sha256 m_hash;
};

la_ssize_t read_cb(struct archive*, void* self, const void** buf) {
  return static_cast<Feeder*>(self)->next(buf);
}

// A file read from `base` on, with seeking: 7z keeps its index at the end, so it cannot stream.
struct Window {
  int fd;
  std::uint64_t base, size; // where the archive starts in the file, and its length from there
  std::uint64_t pos = 0;
  std::vector<char> buf = std::vector<char>(k_archive_block);
};

la_ssize_t window_read(struct archive*, void* self, const void** out) {
  auto* w = static_cast<Window*>(self);
  std::int64_t n = util::read_at(w->fd, w->buf.data(), w->buf.size(), w->base + w->pos);
  if (n < 0) return ARCHIVE_FATAL;
  w->pos += static_cast<std::uint64_t>(n);
  *out = w->buf.data();
  return n;
}

la_int64_t window_seek(struct archive*, void* self, la_int64_t offset, int whence) {
  auto* w = static_cast<Window*>(self);
  la_int64_t to = whence == SEEK_SET   ? offset
                  : whence == SEEK_CUR ? static_cast<la_int64_t>(w->pos) + offset
                                       : static_cast<la_int64_t>(w->size) + offset;
  if (to < 0) return ARCHIVE_FATAL;
  w->pos = static_cast<std::uint64_t>(to);
  return to;
}

la_int64_t window_skip(struct archive* a, void* self, la_int64_t n) {
  return window_seek(a, self, n, SEEK_CUR) < 0 ? 0 : n;
}

// CUDA 10.0's runfile nests the toolkit's own runfile: run_files/cuda-linux.<version>.run.
bool nested_toolkit_runfile(const std::string& rel) {
  return util::starts_with(rel, "run_files/cuda-linux") && util::ends_with(rel, ".run");
}

struct ArchiveFree {
  void operator()(struct archive* a) const { archive_read_free(a); }
};

std::string parent_of(const std::string& rel) {
  auto pos = rel.rfind('/');
  return pos == std::string::npos ? "" : rel.substr(0, pos);
}

// Resolves `rel` (inside `root`) through the links that exist under root, the way the kernel
// would, and says whether it stays inside. Bounded like the kernel's 40 links.
bool stays_inside(const std::string& root, const std::string& rel, int depth = 0) {
  if (depth > 40) return false;
  std::vector<std::string> stack; // components of the resolved path so far
  std::vector<std::string> todo;
  for (std::size_t s = 0, e; s <= rel.size(); s = e + 1) {
    e = rel.find('/', s);
    if (e == std::string::npos) e = rel.size();
    todo.push_back(rel.substr(s, e - s));
  }
  for (std::size_t i = 0; i < todo.size(); ++i) {
    const std::string& part = todo[i];
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (stack.empty()) return false;
      stack.pop_back();
      continue;
    }
    stack.push_back(part);
    std::string here = root;
    for (const auto& p : stack)
      here += "/" + p;
    auto st = util::lstat_info(here);
    if (!st || st->kind != util::FileInfo::Kind::symlink) continue;
    std::error_code ec;
    fs::path link = fs::read_symlink(fs::u8path(here), ec);
    std::string target = link.generic_u8string();
    if (ec || target.empty() || link.has_root_path()) return false;
    stack.pop_back();
    std::string base;
    for (const auto& p : stack)
      base += (base.empty() ? "" : "/") + p;
    std::string rest;
    for (std::size_t k = i + 1; k < todo.size(); ++k)
      rest += "/" + todo[k];
    return stays_inside(root, (base.empty() ? "" : base + "/") + target + rest, depth + 1);
  }
  return true;
}

class Extractor {
public:
  Extractor(const std::string& archive, const std::string& dest, const ExtractOptions& o)
      : m_archive(archive), m_dest(dest), m_opt(o) {}

  ExtractResult run() {
    int fd = util::open_read(m_archive);
    if (fd < 0) return fail("", "cannot open it");
    std::error_code ec;
    const std::uint64_t file_size = fs::file_size(fs::u8path(m_archive), ec);
    m_cap = m_opt.max_unpacked ? m_opt.max_unpacked
                               : std::max<std::uint64_t>(256ull << 20, 32ull * file_size);
    if (m_opt.verify_only) {
      util::close_fd(fd);
      m_res.sha256 = util::sha256_file(m_archive).value_or("");
      m_res.archive_bytes = file_size;
      pins_hold();
      return m_res;
    }
    Container box = inspect_container(fd);
    m_res.layout = m_opt.layout;
    if (m_res.layout == Layout::automatic && box.kind == Container::Kind::makeself)
      m_res.layout = Layout::runfile;
    if (m_res.layout == Layout::automatic && box.kind == Container::Kind::sevenzip && box.offset)
      m_res.layout = Layout::windows_installer;
    if (!box.error.empty()) {
      util::close_fd(fd);
      return fail("", box.error);
    }
    if (box.kind == Container::Kind::sevenzip) {
      run_seekable(fd, box.offset, file_size);
    } else if (box.kind == Container::Kind::zip && m_opt.shards > 1) {
      run_zip(fd, file_size);
      util::close_fd(fd);
      finish_writes();
      return m_res; // the pin is the verify_only job's
    } else if (box.kind == Container::Kind::zip) {
      // The hash runs beside the extraction, as the streaming reader's does.
      std::string sha;
      std::thread hasher([&] { sha = util::sha256_file(m_archive).value_or(""); });
      run_zip(fd, file_size);
      hasher.join();
      m_res.sha256 = sha;
      m_res.archive_bytes = file_size;
    } else {
      Feeder feeder(fd, m_opt.expected_size, box.offset);
      std::unique_ptr<struct archive, ArchiveFree> a(archive_read_new());
      archive_read_support_filter_all(a.get());
      archive_read_support_format_tar(a.get());
      archive_read_support_format_cpio(a.get());
      if (archive_read_open(a.get(), &feeder, nullptr, read_cb, nullptr) != ARCHIVE_OK)
        fail("", std::string("not an archive gpucfg can read: ") + archive_why(a.get()));
      else
        entries(a.get());
      if (m_res.error.empty()) check_links();
      feeder.finish();
      m_res.archive_bytes = feeder.bytes();
      m_res.sha256 = feeder.sha256();
      if (!feeder.error().empty()) m_res.error = m_archive + ": " + feeder.error();
    }
    util::close_fd(fd);
    if (!finish_writes()) return m_res;
    if (!pins_hold()) return m_res;
    unpack_nested();
    return m_res;
  }

private:
  bool pins_hold() {
    if (m_opt.expected_size && m_res.archive_bytes != m_opt.expected_size)
      return fail("", "is " + std::to_string(m_res.archive_bytes) + " bytes, not the declared " +
                          std::to_string(m_opt.expected_size)),
             false;
    if (!m_opt.expected_sha256.empty() && m_res.sha256 != m_opt.expected_sha256)
      return fail("",
                  "sha256 " + m_res.sha256 + " does not match the pinned " + m_opt.expected_sha256),
             false;
    return true;
  }

  // 7z needs seeking, so the pin is checked in a pass of its own, before anything is unpacked.
  void run_seekable(int fd, std::uint64_t base, std::uint64_t file_size) {
    m_res.sha256 = util::sha256_file(m_archive).value_or("");
    m_res.archive_bytes = file_size;
    if (!pins_hold()) return;
    read_seeking({fd, base, file_size - base}, archive_read_support_format_7zip, "a 7-Zip archive");
  }

  // A zip (or one shard of it) read through its central directory, the only place that holds
  // the Unix modes and link types (a streaming read sees every link as a file holding its
  // target's name); entries of other shards are seeked over, not inflated.
  // Regular files whose bytes gpucfg's inflaters can produce are written by them (zipdir.hpp:
  // libdeflate whole, ISA-L streamed), the rest by libarchive; every rule stays libarchive's walk.
  void run_zip(int fd, std::uint64_t file_size) {
    util::MappedFile map(m_archive);
    if (!map.empty() && map.size() == file_size) {
      m_zip_data = map.data();
      m_zip_size = file_size;
      m_zip = read_zip_directory(m_zip_data, file_size);
    }
    read_seeking({fd, 0, file_size}, archive_read_support_format_zip_seekable, "a zip");
    m_zip.reset();
    m_zip_data = nullptr;
  }

  // The member `name` of the zip being read, when gpucfg produces its bytes itself: inflated
  // whole (libdeflate, into a buffer, then written) up to k_zip_whole_max, streamed (ISA-L) to
  // the writer above. Inflating a big one whole needs its whole size as one buffer, a mapping of
  // the new file, whose page faults measured slower than streaming (tf-2.16's 1 GB
  // libtensorflow_cc.so.2: 6.5-12.8 s mapped vs 3.9 s through zlib). The rest stream through
  // libarchive's zlib.
  const ZipMember* zip_member(const std::string& name) const {
    if (!m_zip) return nullptr;
    auto it = m_zip->find(name);
    if (it == m_zip->end() || !inflatable(it->second)) return nullptr;
    return it->second.size <= k_zip_whole_max || streamable(it->second) ? &it->second : nullptr;
  }

  // The entries of an archive libarchive reads by seeking within `w`.
  void read_seeking(Window w, int (*format)(struct archive*), const char* what) {
    std::unique_ptr<struct archive, ArchiveFree> a(archive_read_new());
    archive_read_support_filter_all(a.get());
    format(a.get());
    archive_read_set_read_callback(a.get(), window_read);
    archive_read_set_seek_callback(a.get(), window_seek);
    archive_read_set_skip_callback(a.get(), window_skip);
    archive_read_set_callback_data(a.get(), &w);
    if (archive_read_open1(a.get()) != ARCHIVE_OK)
      fail("", std::string("not ") + what + " gpucfg can read: " + archive_why(a.get()));
    else
      entries(a.get());
    if (m_res.error.empty()) check_links();
  }

  // The toolkit runfile nested in CUDA 10.0's: covered by the outer pin, unpacked as it lies.
  void unpack_nested() {
    for (const auto& rel : m_nested) {
      std::string path = m_dest + "/" + rel;
      ExtractOptions inner;
      inner.layout = Layout::plain;
      inner.component = m_opt.component;
      inner.max_unpacked = m_cap > m_res.unpacked_bytes ? m_cap - m_res.unpacked_bytes : 1;
      ExtractResult r = Extractor(path, m_dest, inner).run();
      util::remove_link_or_file(path);
      m_res.unpacked_bytes += r.unpacked_bytes;
      m_res.special_bits_dropped += r.special_bits_dropped;
      if (!r.error.empty() && m_res.error.empty()) m_res.error = m_archive + ": nested " + r.error;
    }
  }

  ExtractResult fail(const std::string& entry, const std::string& why) {
    if (m_res.error.empty())
      m_res.error = m_archive + (entry.empty() ? "" : ": entry '" + entry + "'") + ": " + why;
    return m_res;
  }

  void entries(struct archive* a) {
    struct archive_entry* e = nullptr;
    for (;;) {
      int rc = archive_read_next_header(a, &e);
      if (rc == ARCHIVE_EOF) return;
      if (rc < ARCHIVE_WARN) {
        fail(m_last, std::string("corrupt or truncated archive: ") + archive_why(a));
        return;
      }
      const char* raw = archive_entry_pathname(e);
      std::string name = raw ? raw : "";
      m_last = name;
      if (!one(a, e, name)) return;
    }
  }

  // Where an entry goes (`rel`: its name made safe), or "" to leave it out.
  std::string destination(const std::optional<std::string>& rel, bool is_dir) {
    if (m_res.layout == Layout::automatic)
      if (auto l = detect_layout(*rel)) m_res.layout = *l;
    if (m_res.layout == Layout::runfile || m_res.layout == Layout::windows_installer)
      if (!component_selected(m_opt.components, installer_component(m_res.layout, *rel))) return "";
    if (m_res.layout == Layout::python) return map_python_entry(*rel, m_opt.site_packages);
    return map_entry(m_res.layout, *rel, is_dir, m_opt.component);
  }

  // Creates the parent folders of `rel`, refusing to pass through a link.
  bool parents(const std::string& entry, const std::string& rel) {
    std::string dir = parent_of(rel);
    if (dir.empty() || m_dirs.count(dir)) return true;
    std::string sofar;
    for (std::size_t s = 0, e; s <= dir.size(); s = e + 1) {
      e = dir.find('/', s);
      if (e == std::string::npos) e = dir.size();
      sofar += (sofar.empty() ? "" : "/") + dir.substr(s, e - s);
      if (m_dirs.count(sofar)) continue;
      std::string host = m_dest + "/" + sofar;
      if (auto st = util::lstat_info(host)) {
        if (st->kind != util::FileInfo::Kind::dir) {
          fail(entry, "its folder " + sofar + " is a link or a file, not a folder; refused");
          return false;
        }
      } else if (!util::make_dir(host, 0755)) {
        fail(entry, "cannot create folder " + sofar);
        return false;
      }
      m_dirs.insert(sofar);
    }
    return true;
  }

  bool one(struct archive* a, struct archive_entry* e, const std::string& name) {
    const char* hardlink = archive_entry_hardlink(e);
    const auto type = archive_entry_filetype(e);
    if (!hardlink && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
      const char* what = type == AE_IFCHR    ? "a character device"
                         : type == AE_IFBLK  ? "a block device"
                         : type == AE_IFIFO  ? "a fifo"
                         : type == AE_IFSOCK ? "a socket"
                                             : "of an unknown type";
      fail(name, std::string("is ") + what + "; refused");
      return false;
    }
    if (m_opt.shards > 1) {
      bool regular = type == AE_IFREG && !hardlink;
      if (regular ? m_ordinal++ % m_opt.shards != m_opt.shard : m_opt.shard != 0) return true;
    }
    std::string unsafe;
    auto raw = safe_relative(name, &unsafe);
    if (!raw) return fail(name, unsafe + "; refused"), false;
    if (m_res.layout == Layout::runfile && type == AE_IFREG && !hardlink &&
        nested_toolkit_runfile(*raw)) {
      std::string rel = ".gpucfg-nested-" + std::to_string(m_nested.size()) + ".run";
      m_nested.push_back(rel);
      return file(a, name, rel, m_dest + "/" + rel, 0600, 0);
    }
    std::string rel = destination(raw, type == AE_IFDIR);
    // A tarball's own `lib64 -> lib` link: lib64/ is folded into lib/ here, and finish_tree
    // makes the same link once the tree is complete.
    bool lib64_link =
        type == AE_IFLNK && rel != *raw && (*raw == "lib64" || util::ends_with(*raw, "/lib64"));
    if (rel.empty() || lib64_link) {
      ++m_res.left_out;
      return true;
    }
    if (!parents(name, rel)) return false;
    std::string host = m_dest + "/" + rel;
    unsigned mode = archive_entry_perm(e);
    if (mode & 07000) ++m_res.special_bits_dropped;
    mode = installed_mode(mode, type == AE_IFDIR && !hardlink);
    std::int64_t mtime_ns = static_cast<std::int64_t>(archive_entry_mtime(e)) * 1000000000 +
                            archive_entry_mtime_nsec(e);
    if (type == AE_IFDIR && !hardlink) {
      auto st = util::lstat_info(host);
      if (st && st->kind != util::FileInfo::Kind::dir)
        return fail(name, "would replace a file with a folder; refused"), false;
      if (!util::make_dir(host, mode)) return fail(name, "cannot create the folder"), false;
      m_dirs.insert(rel);
      return true;
    }
    if (hardlink) {
      std::string why;
      auto target = safe_relative(hardlink, &why);
      std::string mapped = target ? map_entry(m_res.layout, *target, false, m_opt.component) : "";
      if (!target || !m_written.count(mapped))
        return fail(name, std::string("hard link to '") + hardlink +
                              "', which is not a file this archive wrote before it; refused"),
               false;
      if (auto failed = util::make_hard_link(m_dest + "/" + mapped, host); !failed.empty())
        return fail(name, exists_message(host, failed)), false;
      if (!finish_writes()) return false; // the target's hash, once it is written
      if (auto it = m_res.file_sha256.find(mapped); it != m_res.file_sha256.end())
        m_res.file_sha256[rel] = it->second;
      return true;
    }
    if (type == AE_IFLNK) {
      const char* t = archive_entry_symlink(e);
      std::string target = t ? t : "";
      std::string joined = parent_of(rel);
      joined += (joined.empty() ? "" : "/") + target;
      if (target.empty() || target[0] == '/' || !stays_inside(m_dest, joined))
        return fail(name, "link to '" + target + "' leads outside the install folder; refused"),
               false;
      if (auto why = util::make_symbolic_link(target, host); !why.empty())
        return fail(name, exists_message(host, why)), false;
      m_links.push_back(rel);
      return true;
    }
    return file(a, name, rel, host, mode, mtime_ns);
  }

  std::string cap_message() const {
    return "unpacks past " + std::to_string(m_cap) +
           " bytes, the limit for this archive; stopped (a decompression bomb, or declare a "
           "larger unpacked_size)";
  }

  // Why `host` could not be made: something is there already, or what the system said.
  static std::string exists_message(const std::string& host, const std::string& why) {
    return util::lstat_info(host)
               ? "another archive of this source already wrote that path; refused"
               : "cannot create it: " + why;
  }

  bool file(struct archive* a, const std::string& name, const std::string& rel,
            const std::string& host, unsigned mode, std::int64_t mtime_ns) {
    // Read-write: a zip member inflated whole is written through a shared mapping.
    int out = util::open_new(host);
    // Wheels in one environment may share a file (nvidia/__init__.py in each NVIDIA wheel):
    // the later one replaces it, as pip does. Other layouts refuse any overlap.
    if (out < 0 && m_res.layout == Layout::python && util::lstat_info(host) &&
        util::remove_link_or_file(host).empty())
      out = util::open_new(host);
    if (out < 0) return fail(name, exists_message(host, util::last_error_text())), false;
    // An environment's record keeps sizes and mtimes only (pip's RECORD holds its hashes): its
    // files are not hashed here, which would cost a second of CPU per GB for nothing.
    const bool hashing = m_res.layout != Layout::python;
    const ZipMember* member = zip_member(name);
    if (member && member->size <= k_zip_whole_max) { // inflated whole, on this thread
      m_res.unpacked_bytes += member->size;
      util::Sha256 hash;
      std::string error =
          m_res.unpacked_bytes > m_cap
              ? cap_message()
              : inflate_member(m_zip_data, m_zip_size, *member, out, hashing ? &hash : nullptr);
      util::stamp_file(out, mode, mtime_ns);
      util::close_fd(out);
      if (!error.empty()) return fail(name, error), false;
      m_written.insert(rel);
      if (hashing) m_res.file_sha256[rel] = hash.hex();
      return true;
    }
    // Streamed to the writer (WriteBehind), which also hashes: by gpucfg's own inflater where
    // it can, else by libarchive.
    m_out.open(out, rel, name, hashing);
    if (member) return streamed(*member, name, rel, mode, mtime_ns);
    const void* buf = nullptr;
    std::size_t len = 0;
    la_int64_t offset = 0;
    bool ok = true;
    for (;;) {
      int rc = archive_read_data_block(a, &buf, &len, &offset);
      if (rc == ARCHIVE_EOF) break;
      if (rc < ARCHIVE_OK) {
        fail(name, std::string("corrupt or truncated data: ") + archive_why(a));
        ok = false;
        break;
      }
      m_res.unpacked_bytes += len;
      if (m_res.unpacked_bytes > m_cap) {
        fail(name, cap_message());
        ok = false;
        break;
      }
      if (!m_out.write(static_cast<const char*>(buf), len, static_cast<std::uint64_t>(offset))) {
        ok = false; // finish_writes() says which file and why
        break;
      }
    }
    m_out.close(mode, mtime_ns);
    if (!ok) return finish_writes(), false;
    m_written.insert(rel);
    return true;
  }

  // A zip member's bytes from stream_member to the open writer.
  bool streamed(const ZipMember& member, const std::string& name, const std::string& rel,
                unsigned mode, std::int64_t mtime_ns) {
    std::uint64_t offset = 0;
    bool capped = false, writer_failed = false;
    std::string why =
        stream_member(m_zip_data, m_zip_size, member, [&](const char* p, std::size_t n) {
          m_res.unpacked_bytes += n;
          if (m_res.unpacked_bytes > m_cap) return !(capped = true);
          if (!m_out.write(p, n, offset)) return !(writer_failed = true);
          offset += n;
          return true;
        });
    m_out.close(mode, mtime_ns);
    if (!why.empty()) {
      if (capped)
        fail(name, cap_message());
      else if (!writer_failed)
        fail(name, why);
      return finish_writes(), false; // the writer's failure, when it was that
    }
    m_written.insert(rel);
    return true;
  }

  // Waits for the writer; its hashes into the result, its failure as the extraction's. False
  // when something failed.
  bool finish_writes() {
    auto failed = m_out.drain(&m_res.file_sha256);
    if (failed && m_res.error.empty()) fail(failed->first, failed->second);
    return m_res.error.empty();
  }

  // Every link once all exist: a chain of individually harmless links must not lead out.
  void check_links() {
    for (const auto& l : m_links) {
      std::error_code ec;
      std::string target = fs::read_symlink(fs::u8path(m_dest + "/" + l), ec).generic_u8string();
      std::string joined = parent_of(l);
      joined += (joined.empty() ? "" : "/") + target;
      if (ec || !stays_inside(m_dest, joined)) {
        fail(l, "link to '" + target +
                    "' leads outside the install folder through other links; "
                    "refused");
        return;
      }
    }
  }

  std::string m_archive, m_dest;
  ExtractOptions m_opt;
  std::uint64_t m_cap = 0;
  ExtractResult m_res;
  std::string m_last;
  std::set<std::string> m_dirs;
  std::set<std::string> m_written; // regular files, the only targets a hard link may have
  std::vector<std::string> m_links;
  std::vector<std::string> m_nested; // nested runfiles, unpacked once the pin holds
  std::uint64_t m_ordinal = 0;       // regular files seen (sharded zips)
  std::optional<std::unordered_map<std::string, ZipMember>> m_zip; // the zip's own directory
  const char* m_zip_data = nullptr;                                // the zip, mapped
  std::uint64_t m_zip_size = 0;
  WriteBehind m_out{util::usable_cores() > 1}; // a second core writes and hashes
};

} // namespace

std::vector<ExtractResult> extract_many(const std::vector<ExtractJob>& archives,
                                        const std::string& dest, unsigned jobs,
                                        const std::function<void(std::size_t)>& done) {
  std::vector<ExtractResult> results(archives.size());
  // Largest first, handed out one at a time, so the threads finish together.
  std::vector<std::size_t> order(archives.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    return archives[x].options.expected_size > archives[y].options.expected_size;
  });
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t k; (k = next++) < order.size();) {
      const ExtractJob& job = archives[order[k]];
      results[order[k]] = extract(job.archive, job.dest.empty() ? dest : job.dest, job.options);
      if (done && results[order[k]].error.empty()) done(order[k]);
    }
  };
  if (jobs == 0) jobs = util::usable_cores();
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < std::min<std::size_t>(jobs, archives.size()); ++t)
    threads.emplace_back(work);
  work();
  for (auto& t : threads)
    t.join();
  return results;
}

std::vector<ExtractJob> extraction_jobs(const std::string& archive, const ExtractOptions& options,
                                        unsigned cores) {
  std::error_code ec;
  auto size = fs::file_size(archive, ec);
  int fd = util::open_read(archive);
  bool zip = fd >= 0 && inspect_container(fd).kind == Container::Kind::zip;
  util::close_fd(fd);
  if (ec || !zip || size <= (64u << 20) || cores < 2) return {{archive, options}};
  std::vector<ExtractJob> jobs;
  ExtractOptions part = options;
  part.shards = cores;
  for (unsigned k = 0; k < cores; ++k) {
    part.shard = k;
    jobs.push_back({archive, part}); // its declared size still orders it first among the jobs
  }
  ExtractOptions pin = options;
  pin.verify_only = true;
  jobs.push_back({archive, pin});
  return jobs;
}

ExtractOptions extract_options(const Artifact& a) {
  ExtractOptions eo;
  eo.layout = parse_layout(a.layout).value_or(Layout::automatic);
  eo.component = a.component;
  eo.components = a.components;
  eo.expected_sha256 = a.sha256;
  eo.expected_size = a.size;
  eo.max_unpacked = a.unpacked_size;
  return eo;
}

ExtractResult extract(const std::string& archive, const std::string& dest,
                      const ExtractOptions& options) {
  return Extractor(archive, dest, options).run();
}

} // namespace gpucfg::source
