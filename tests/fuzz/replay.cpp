// Runs a fuzz harness over files instead of under libFuzzer: the normal test build replays the
// regression inputs (tests/fuzz/regressions/) and seeds through every harness, so a fixed crash
// stays fixed without clang or a fuzzing run.
#include <cstdint>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::cerr << "replay: cannot read " << argv[i] << "\n";
      return 1;
    }
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  }
  std::cout << "replayed " << argc - 1 << " input(s)\n";
  return 0;
}
