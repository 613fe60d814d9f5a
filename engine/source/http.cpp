#include "source/http.hpp"

#include "util/build_info.hpp"
#include "util/os.hpp"

#include <cstdio>
#include <curl/curl.h>
#include <filesystem>
#include <mutex>

namespace gpucfg::source {
namespace {

struct Sink {
  std::FILE* out = nullptr;
  const FetchOptions* opt = nullptr;
  Progress* progress = nullptr;
  std::uint64_t start = 0;
};

size_t on_data(char* data, size_t size, size_t n, void* self) {
  auto* s = static_cast<Sink*>(self);
  return std::fwrite(data, size, n, s->out) * size;
}

int on_progress(void* self, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  auto* s = static_cast<Sink*>(self);
  if (s->opt->progress && total > 0) {
    s->progress->done = s->start + static_cast<std::uint64_t>(now);
    s->progress->total = s->start + static_cast<std::uint64_t>(total);
    s->opt->progress(*s->progress);
  }
  return 0;
}

} // namespace

HttpResult http_get(const std::string& url, const std::string& file, const FetchOptions& o,
                    Progress& progress) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  HttpResult r;
  std::error_code ec;
  std::uint64_t size = std::filesystem::file_size(std::filesystem::u8path(file), ec);
  std::uint64_t have = ec ? 0 : size;
  Sink sink;
  sink.out = util::open_append(file); // never through a link planted at the name
  if (!sink.out) {
    r.error = "cannot write " + file;
    return r;
  }
  sink.opt = &o;
  sink.progress = &progress;
  sink.start = have;
  CURL* c = curl_easy_init();
  std::string agent = std::string("gpucfg/") + util::version();
  char errbuf[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_USERAGENT, agent.c_str());
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o.connect_timeout_s);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, o.stall_timeout_s);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &sink);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  if (have > 0) curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(have));
  CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_easy_cleanup(c);
  bool flushed = std::fclose(sink.out) == 0;
  if (rc == CURLE_OK && flushed) {
    r.ok = true;
    return r;
  }
  r.error = errbuf[0] ? errbuf : curl_easy_strerror(rc);
  if (rc == CURLE_RANGE_ERROR || r.status == 416) {
    // The server will not resume (or the partial file is wrong): start over from byte 0.
    std::remove(file.c_str());
    r.retry = true;
    return r;
  }
  if (rc == CURLE_HTTP_RETURNED_ERROR)
    r.retry = r.status >= 500 || r.status == 408 || r.status == 429;
  else
    r.retry = rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT ||
              rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
              rc == CURLE_GOT_NOTHING || rc == CURLE_COULDNT_RESOLVE_HOST ||
              rc == CURLE_COULDNT_RESOLVE_PROXY || rc == CURLE_SSL_CONNECT_ERROR;
  return r;
}

} // namespace gpucfg::source
