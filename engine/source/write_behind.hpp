// Where an extractor's file bytes go: written, hashed and their writeback started, on a thread
// of its own when the process may use more than one core. The thread that decompresses then
// does nothing else, as `tar` leaves decompression to an `xz` beside it: one big xz stream (a
// toolkit's libnvvm) is the longest job of an apply, and the write and hash of its 140 MB run
// beside it instead of after each block.
#pragma once

#include "util/sha256.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace gpucfg::source {

class WriteBehind {
public:
  // `threaded`: a writer thread, with bytes copied to it; otherwise each call does its work at
  // once on the caller's thread (one core: a copy and a hand-over would only cost).
  explicit WriteBehind(bool threaded);
  ~WriteBehind();
  WriteBehind(const WriteBehind&) = delete;
  WriteBehind& operator=(const WriteBehind&) = delete;

  // A new file, `fd` now owned here; its bytes follow through write(), then close(). `key`
  // keys its hash (taken when `hashing`), `name` names it in a failure.
  void open(int fd, const std::string& key, const std::string& name, bool hashing);
  // Bytes of the open file at `offset` (a sparse entry's offsets skip its holes; such a file
  // gets no hash, which would need the holes). False once anything has failed: stop reading.
  bool write(const char* data, std::size_t n, std::uint64_t offset);
  // Sets the open file's mode and mtime and closes it.
  void close(unsigned mode, std::int64_t mtime_ns);

  // Waits until everything handed over is done. Then: the first failure (file, why), and the
  // hashes of the files closed so far, moved into `hashes`.
  std::optional<std::pair<std::string, std::string>>
  drain(std::map<std::string, std::string>* hashes);

private:
  struct Task {
    enum class Kind { open, data, close };
    Kind kind = Kind::open;
    int fd = -1;
    std::string key, name;
    bool hashing = false;
    std::vector<char> bytes;
    std::uint64_t offset = 0;
    unsigned mode = 0;
    std::int64_t mtime_ns = 0;
  };
  void run(Task& t); // on the writer (or the caller, unthreaded)
  void write_now(const char* data, std::size_t n, std::uint64_t offset);
  void fail(const std::string& why);
  bool failed();
  void loop();
  void hand_over(Task t);

  bool m_threaded;
  // The writer's file (only it touches these).
  int m_fd = -1;
  std::string m_key, m_name;
  bool m_hashing = false, m_sparse = false;
  std::uint64_t m_size = 0, m_flushed = 0;
  util::Sha256 m_hash;
  // Shared with the caller.
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::deque<Task> m_queue;
  std::vector<std::vector<char>> m_spare;
  std::size_t m_queued_bytes = 0;
  bool m_busy = false, m_stop = false;
  std::optional<std::pair<std::string, std::string>> m_failure;
  std::map<std::string, std::string> m_hashes;
  std::thread m_thread;
};

} // namespace gpucfg::source
