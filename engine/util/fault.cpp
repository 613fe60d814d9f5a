#include "util/fault.hpp"

#include "util/os.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

namespace gpucfg::util {

void checkpoint() {
  static std::atomic<int> count{0};
  static const int fault = [] {
    const char* e = std::getenv("GPUCFG_FAULT_STEP");
    return e ? std::atoi(e) : -1;
  }();
  static const int delay = [] {
    const char* e = std::getenv("GPUCFG_FAULT_DELAY_MS");
    return e ? std::atoi(e) : 0;
  }();
  int k = ++count;
  if (delay > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
  if (k == fault) kill_self();
}

} // namespace gpucfg::util
