// libFuzzer: archive entry names made safe and mapped onto a prefix (every layout), installer
// component folders, wheel file names and tags, and simple-index pages.
#include "pyenv/lock.hpp"
#include "source/fetch.hpp"
#include "source/layout.hpp"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gpucfg;
  std::string text(reinterpret_cast<const char*>(data), size), why;
  if (auto rel = source::safe_relative(text, &why)) {
    for (auto l : {source::Layout::redist, source::Layout::cudnn_legacy, source::Layout::wheel,
                   source::Layout::runfile, source::Layout::windows_installer,
                   source::Layout::plain, source::Layout::python}) {
      (void)source::map_entry(l, *rel, false, "cuda_nvcc");
      (void)source::installer_component(l, *rel);
    }
    (void)source::map_python_entry(*rel, "lib/python3.11/site-packages");
    (void)source::detect_layout(*rel);
  }
  if (auto w = pyenv::parse_wheel_name(text))
    for (const char* p : {"linux-x86_64", "windows-x86_64", "linux-sbsa"})
      (void)pyenv::runs_on(*w, p, util::Version({3, 11}));
  (void)source::index_file_url(text, "https://idx.example/simple/six/", "six-1.0-py3-none-any.whl");
  (void)source::pep503_name(text);
  return 0;
}
