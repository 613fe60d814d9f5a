#include "source/write_behind.hpp"

#include "source/libarchive_util.hpp"
#include "util/os.hpp"

namespace gpucfg::source {

namespace {
// Bytes handed over and not yet written, at most: enough to ride out a slow write, small
// beside the memory budget (64 MB for an apply).
constexpr std::size_t k_max_queued = 16u << 20;
} // namespace

WriteBehind::WriteBehind(bool threaded) : m_threaded(threaded) {
  if (m_threaded) m_thread = std::thread([this] { loop(); });
}

WriteBehind::~WriteBehind() {
  drain(nullptr);
  if (m_thread.joinable()) {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_stop = true;
    }
    m_cv.notify_all();
    m_thread.join();
  }
}

void WriteBehind::open(int fd, const std::string& key, const std::string& name, bool hashing) {
  Task t;
  t.fd = fd;
  t.key = key;
  t.name = name;
  t.hashing = hashing;
  hand_over(std::move(t));
}

bool WriteBehind::write(const char* data, std::size_t n, std::uint64_t offset) {
  if (!m_threaded) {
    write_now(data, n, offset);
    return !failed();
  }
  Task t;
  t.kind = Task::Kind::data;
  t.offset = offset;
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_failure) return false;
    if (!m_spare.empty()) {
      t.bytes = std::move(m_spare.back());
      m_spare.pop_back();
    }
  }
  t.bytes.assign(data, data + n); // a block is only valid until libarchive's next read
  hand_over(std::move(t));
  return !failed();
}

void WriteBehind::close(unsigned mode, std::int64_t mtime_ns) {
  Task t;
  t.kind = Task::Kind::close;
  t.mode = mode;
  t.mtime_ns = mtime_ns;
  hand_over(std::move(t));
}

std::optional<std::pair<std::string, std::string>>
WriteBehind::drain(std::map<std::string, std::string>* hashes) {
  std::unique_lock<std::mutex> lock(m_mutex);
  m_cv.wait(lock, [&] { return m_queue.empty() && !m_busy; });
  if (hashes) hashes->merge(m_hashes);
  m_hashes.clear();
  return m_failure;
}

void WriteBehind::hand_over(Task t) {
  if (!m_threaded) {
    run(t);
    return;
  }
  std::unique_lock<std::mutex> lock(m_mutex);
  m_cv.wait(lock, [&] { return m_queued_bytes < k_max_queued; });
  m_queued_bytes += t.bytes.size();
  m_queue.push_back(std::move(t));
  m_cv.notify_all();
}

void WriteBehind::loop() {
  std::unique_lock<std::mutex> lock(m_mutex);
  for (;;) {
    m_cv.wait(lock, [&] { return m_stop || !m_queue.empty(); });
    if (m_queue.empty()) return; // stopping, nothing left
    Task t = std::move(m_queue.front());
    m_queue.pop_front();
    m_busy = true;
    lock.unlock();
    run(t);
    lock.lock();
    m_busy = false;
    m_queued_bytes -= t.bytes.size();
    if (t.bytes.capacity() && m_spare.size() < 8) m_spare.push_back(std::move(t.bytes));
    m_cv.notify_all();
  }
}

bool WriteBehind::failed() {
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_failure.has_value();
}

void WriteBehind::fail(const std::string& why) {
  std::lock_guard<std::mutex> lock(m_mutex);
  if (!m_failure) m_failure = std::make_pair(m_name, why);
}

void WriteBehind::write_now(const char* data, std::size_t n, std::uint64_t offset) {
  if (m_fd < 0 || failed()) return;
  if (offset != m_size) {
    m_sparse = true; // holes stay zero
    if (!util::seek_to(m_fd, offset)) return fail("seek failed");
  }
  if (m_hashing && !m_sparse) m_hash.update(data, n);
  if (!util::write_all(m_fd, data, n)) return fail("write failed: " + util::last_error_text());
  m_size = offset + n;
  if (m_size - m_flushed >= k_writeback_step) {
    util::start_writeback(m_fd, m_flushed, m_size - m_flushed);
    m_flushed = m_size;
  }
}

void WriteBehind::run(Task& t) {
  switch (t.kind) {
  case Task::Kind::open:
    m_fd = t.fd;
    m_key = t.key;
    m_name = t.name;
    m_hashing = t.hashing;
    m_sparse = false;
    m_size = m_flushed = 0;
    return;
  case Task::Kind::data:
    write_now(t.bytes.data(), t.bytes.size(), t.offset);
    return;
  case Task::Kind::close: {
    if (m_fd < 0) return;
    if (m_size > m_flushed) util::start_writeback(m_fd, m_flushed, m_size - m_flushed);
    util::stamp_file(m_fd, t.mode, t.mtime_ns);
    util::close_fd(m_fd);
    m_fd = -1;
    std::string sha = m_hashing ? m_hash.hex() : ""; // hex() also starts the hash over
    if (m_sparse || failed()) return;
    if (!sha.empty()) {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_hashes[m_key] = sha;
    }
    return;
  }
  }
}

} // namespace gpucfg::source
