#include "source/fetch.hpp"

#include "source/archive.hpp"
#include "source/http.hpp"
#include "source/layout.hpp"
#include "util/fileinfo.hpp"
#include "util/os.hpp"
#include "util/process.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"
#include "util/trust.hpp"

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace gpucfg::source {

namespace fs = std::filesystem;

namespace {

long env_number(const char* name, long fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atol(v) : fallback;
}

bool is_url(const std::string& l) {
  return util::starts_with(l, "http://") || util::starts_with(l, "https://");
}

std::uint64_t file_size(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) ? static_cast<std::uint64_t>(st.st_size)
                                                            : 0;
}

// The store's artifacts bucket (store/store.hpp owns the layout; source/ sits below it).
std::string cached_path(const std::string& store, const std::string& sha) {
  return store + "/artifacts/" + sha;
}

// Checks a complete download and moves it into the cache under its hash.
FetchResult admit(const Artifact& a, const FetchOptions& o, const std::string& file,
                  const std::string& from) {
  FetchResult r;
  std::uint64_t size = file_size(file);
  if (a.size && size != a.size) {
    std::remove(file.c_str());
    r.error = from + ": got " + std::to_string(size) + " bytes, not the declared " +
              std::to_string(a.size);
    return r;
  }
  std::string sha = util::sha256_file(file).value_or("");
  if (!a.sha256.empty() && sha != a.sha256) {
    std::remove(file.c_str());
    r.error = from + ": sha256 " + sha + " does not match the pinned " + a.sha256 +
              "; the download was discarded";
    return r;
  }
  std::error_code ec;
  fs::create_directories(o.cache_dir + "/artifacts", ec);
  std::string dest = cached_path(o.cache_dir, sha);
  if (std::rename(file.c_str(), dest.c_str()) != 0) {
    r.error = "cannot move the download into " + dest;
    return r;
  }
  r.path = dest;
  r.sha256 = sha;
  r.where = "downloaded";
  return r;
}

FetchResult download(const Artifact& a, const FetchOptions& o, const std::string& url) {
  std::error_code ec;
  fs::create_directories(o.cache_dir + "/partial", ec);
  // Named by the pin (or the URL when unpinned) so a later run resumes the same bytes.
  std::string part =
      o.cache_dir + "/partial/" + (a.sha256.empty() ? util::sha256_hex(url) : a.sha256) + ".part";
  // Only a file of ours is resumed: anything else at the name (a link planted there) is removed,
  // never followed, and the download starts afresh.
  if (auto st = util::lstat_info(part); st && st->kind != util::FileInfo::Kind::file)
    util::remove_link_or_file(part);
  Progress p{a.name, url, 0, a.size, false};
  int tries = 1 + static_cast<int>(env_number("GPUCFG_RETRIES", o.retries));
  long backoff = env_number("GPUCFG_RETRY_BACKOFF_MS", o.backoff_ms);
  FetchOptions opt = o;
  opt.connect_timeout_s = env_number("GPUCFG_CONNECT_TIMEOUT", o.connect_timeout_s);
  opt.stall_timeout_s = env_number("GPUCFG_STALL_TIMEOUT", o.stall_timeout_s);
  std::string last;
  for (int t = 0; t < tries; ++t) {
    if (t > 0) std::this_thread::sleep_for(std::chrono::milliseconds(backoff << (t - 1)));
    HttpResult h = http_get(url, part, opt, p);
    if (h.ok) {
      p.finished = true;
      p.done = file_size(part);
      if (o.progress) o.progress(p);
      return admit(a, o, part, url);
    }
    last = h.error + (h.status ? " (HTTP " + std::to_string(h.status) + ")" : "");
    if (!h.retry) break;
  }
  FetchResult r;
  r.error = url + ": " + last;
  return r;
}

// pip download into a scratch folder under the cache, then admitted like any download.
FetchResult pip_download(const Artifact& a, const FetchOptions& o) {
  FetchResult r;
  std::error_code ec;
  std::string scratch = o.cache_dir + "/partial/pip-" + util::sha256_hex(a.pip).substr(0, 16);
  fs::remove_all(scratch, ec);
  fs::create_directories(scratch, ec);
  std::vector<std::string> argv = {"python3",  "-m",        "pip",
                                   "download", "--no-deps", "--only-binary=:all:",
                                   "--dest",   scratch,     a.pip};
  for (const auto& l : a.find_links)
    argv.insert(argv.end() - 1, {"--find-links", l});
  if (const char* py = std::getenv("GPUCFG_PYTHON")) argv[0] = py;
  // As root, the interpreter that runs pip must be one no other user can replace.
  if (argv[0].find('/') == std::string::npos)
    if (const char* path = std::getenv("PATH"))
      for (const auto& dir : util::split(path, ':'))
        if (!dir.empty() && ::access((dir + "/" + argv[0]).c_str(), X_OK) == 0) {
          argv[0] = dir + "/" + argv[0];
          break;
        }
  if (util::is_superuser() && !util::single_user())
    if (auto why = util::untrusted(argv[0])) {
      r.error = "pip download " + a.pip + ": " + argv[0] + " was not run: " + *why +
                "; as root gpucfg runs only what root and the system own";
      return r;
    }
  // pip's chatter goes to stderr, where progress belongs.
  util::ProcessOptions po;
  po.search_path = argv[0].find('/') == std::string::npos;
  po.out = po.err = util::Output::to_stderr;
  auto run = util::run_process(argv, po);
  if (run.exit_code != 0) {
    r.error = "pip download " + a.pip + " failed (exit " + std::to_string(run.exit_code) + ")";
    return r;
  }
  for (const auto& e : fs::directory_iterator(scratch, ec))
    if (e.path().extension() == ".whl") {
      std::string name = e.path().filename().string();
      r = admit(a, o, e.path().string(), "pip download " + a.pip);
      // The wheel's file name, which pip --find-links needs of a mirror (mirror_file).
      if (r.error.empty()) std::ofstream(cached_path(o.cache_dir, r.sha256) + ".name") << name;
      break;
    }
  if (r.path.empty() && r.error.empty()) r.error = "pip download " + a.pip + " left no wheel";
  fs::remove_all(scratch, ec);
  return r;
}

// A local file is used where it lies, once its size and hash are the pinned ones; as root, one
// another user could change is copied into the store first and admitted like a download, so
// the bytes unpacked are the bytes hashed (no one can swap the file in between).
FetchResult admit_local(const Artifact& a, const std::string& p, const FetchOptions& o) {
  FetchResult r;
  if (util::is_superuser() && util::untrusted(p) && !util::single_user()) {
    std::error_code ec;
    fs::create_directories(o.cache_dir + "/partial", ec);
    std::string copy = o.cache_dir + "/partial/local-" + util::sha256_hex(p).substr(0, 16) + "-" +
                       std::to_string(util::process_id());
    fs::remove(copy, ec);
    if (!fs::copy_file(p, copy, ec) || ec) {
      r.error = p + ": cannot copy it into the store: " + ec.message();
      return r;
    }
    r = admit(a, o, copy, p);
    if (r.error.empty()) r.where = "file";
    return r;
  }
  if (!file_size(p)) {
    r.error = p + ": not there";
  } else if (a.size && file_size(p) != a.size) {
    r.error = p + ": " + std::to_string(file_size(p)) + " bytes, not the declared " +
              std::to_string(a.size);
  } else {
    std::string sha = util::sha256_file(p).value_or("");
    if (!a.sha256.empty() && sha != a.sha256)
      r.error = p + ": sha256 " + sha + " does not match the pinned " + a.sha256;
    else
      r = {p, sha, "", "file"};
  }
  return r;
}

// A wheel by file name from a simple index: its project page first (small, not cached: an index
// may add files), then the file, pinned like any download.
FetchResult from_index(const Artifact& a, const FetchOptions& o) {
  FetchResult r;
  std::string base = a.index;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  std::string page_url = base + "/" + pep503_name(a.component) + "/";
  std::string html;
  if (std::string dir = local_path(page_url); !dir.empty()) {
    std::ifstream in(dir + "index.html");
    html.assign(std::istreambuf_iterator<char>(in), {});
  } else {
    std::error_code ec;
    fs::create_directories(o.cache_dir + "/partial", ec);
    std::string page =
        o.cache_dir + "/partial/index-" + util::sha256_hex(page_url).substr(0, 16) + ".html";
    std::remove(page.c_str());
    Progress p{a.name + " (index)", page_url};
    FetchOptions quiet = o;
    quiet.progress = nullptr;
    HttpResult h = http_get(page_url, page, quiet, p);
    if (!h.ok) {
      r.error = page_url + ": " + h.error;
      return r;
    }
    std::ifstream in(page);
    html.assign(std::istreambuf_iterator<char>(in), {});
    std::remove(page.c_str());
  }
  std::string url = index_file_url(html, page_url, a.file);
  if (url.empty()) {
    r.error = page_url + ": does not list " + a.file;
    return r;
  }
  if (std::string p = local_path(url); !p.empty()) return admit_local(a, p, o);
  return download(a, o, url);
}

} // namespace

std::string local_path(const std::string& location) {
  if (util::starts_with(location, "file://")) return location.substr(7);
  if (location.find("://") != std::string::npos) return "";
  return location;
}

std::string locate(const Artifact& a, const std::string& cache_dir) {
  if (!a.sha256.empty()) {
    std::string c = cached_path(cache_dir, a.sha256);
    if (file_size(c) && (!a.size || file_size(c) == a.size)) return c;
  }
  // As root, a local file another user could change is not used where it lies: fetch copies it
  // into the store (admit_local).
  bool root = util::is_superuser() && !util::single_user();
  for (const auto& l : a.locations)
    if (std::string p = local_path(l); !p.empty() && file_size(p) && !(root && util::untrusted(p)))
      return p;
  return "";
}

std::string availability(const Artifact& a, const std::string& cache_dir) {
  if (!a.sha256.empty() && file_size(cached_path(cache_dir, a.sha256))) return "cache";
  for (const auto& l : a.locations) {
    if (std::string p = local_path(l); !p.empty() && file_size(p)) return "file";
    if (is_url(l)) return "download";
  }
  if (!a.index.empty()) return "download";
  return a.pip.empty() ? "missing" : "pip";
}

std::string index_file_url(const std::string& html, const std::string& page_url,
                           const std::string& file) {
  for (std::size_t at = html.find("href="); at != std::string::npos;
       at = html.find("href=", at + 5)) {
    std::size_t start = at + 5;
    if (start >= html.size() || (html[start] != '"' && html[start] != '\'')) continue;
    char quote = html[start++];
    std::size_t end = html.find(quote, start);
    if (end == std::string::npos) break;
    std::string href = html.substr(start, end - start);
    href = href.substr(0, href.find('#'));
    for (std::size_t amp; (amp = href.find("&amp;")) != std::string::npos;)
      href.replace(amp, 5, "&");
    std::string name = href.substr(href.find_last_of('/') + 1);
    if (name != file) continue;
    if (href.find("://") != std::string::npos) return href;
    std::size_t scheme = page_url.find("://");
    if (!href.empty() && href[0] == '/')
      return page_url.substr(0, page_url.find('/', scheme == std::string::npos ? 0 : scheme + 3)) +
             href;
    return page_url.substr(0, page_url.find_last_of('/') + 1) + href; // curl drops the ../
  }
  return "";
}

std::string mirror_file(const Artifact& a, const std::string& cache_dir,
                        const std::string& mirror_dir, std::string* error) {
  std::string rel = a.mirror_path;
  if (rel.empty() && !a.sha256.empty()) {
    std::ifstream in(cached_path(cache_dir, a.sha256) + ".name");
    std::getline(in, rel);
  }
  std::string why;
  auto safe = safe_relative(rel, &why);
  if (rel.empty() || !safe || safe->empty()) {
    *error =
        a.name + ": no file name to keep it under in a mirror" + (why.empty() ? "" : ": " + why);
    return "";
  }
  std::string from = locate(a, cache_dir);
  if (from.empty()) {
    *error = a.name + ": not fetched";
    return "";
  }
  std::string to = mirror_dir + "/" + *safe;
  std::error_code ec;
  if (file_size(to) == file_size(from) && util::sha256_file(to) == a.sha256) return to;
  fs::create_directories(fs::path(to).parent_path(), ec);
  std::string tmp = to + ".tmp-" + std::to_string(util::process_id());
  fs::remove(tmp, ec);
  // A hard link costs nothing when the mirror is on the cache's file system; else a copy.
  fs::create_hard_link(from, tmp, ec);
  if (ec && !fs::copy_file(from, tmp, ec)) {
    *error = a.name + ": cannot write " + to;
    return "";
  }
  if (std::rename(tmp.c_str(), to.c_str()) != 0) {
    *error = a.name + ": cannot write " + to;
    fs::remove(tmp, ec);
    return "";
  }
  return to;
}

FetchResult fetch(const Artifact& a, const FetchOptions& o) {
  FetchResult r;
  if (a.sha256.empty() && !o.allow_unpinned) {
    r.error = a.name + ": no sha256 pins it; refusing (pass --allow-unpinned to accept any bytes)";
    return r;
  }
  if (!a.sha256.empty()) {
    std::string c = cached_path(o.cache_dir, a.sha256);
    if (file_size(c)) return {c, a.sha256, "", "cache"};
  }
  std::vector<std::string> tried;
  for (const auto& l : a.locations) {
    if (std::string p = local_path(l); !p.empty()) {
      FetchResult f = admit_local(a, p, o);
      if (f.error.empty()) return f;
      tried.push_back(f.error);
      continue;
    }
    if (!is_url(l)) {
      tried.push_back(l + ": not a path or an http(s) URL");
      continue;
    }
    FetchResult d = download(a, o, l);
    if (d.error.empty()) return d;
    tried.push_back(d.error);
  }
  if (!a.index.empty()) {
    FetchResult d = from_index(a, o);
    if (d.error.empty()) return d;
    tried.push_back(d.error);
  }
  if (!a.pip.empty()) {
    FetchResult d = pip_download(a, o);
    if (d.error.empty()) return d;
    tried.push_back(d.error);
  }
  r.error = a.name + ": no location gave the pinned bytes:\n    " + util::join(tried, "\n    ");
  return r;
}

} // namespace gpucfg::source
