// libFuzzer: the YAML reader and the manifest decoder, as `gpucfg validate` runs them on a file
// from a pull request, for each platform. Bad input must end in diagnostics, never a crash.
#include "manifest/decode.hpp"
#include "platform/platform.hpp"
#include "yaml/reader.hpp"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  gpucfg::util::Diagnostics diags;
  gpucfg::manifest::Loaded loaded;
  loaded.tree = gpucfg::yaml::read_yaml("fuzz.yaml", text, diags);
  loaded.files = {"fuzz.yaml"};
  if (!loaded.tree) return 0;
  for (const auto& id : gpucfg::platform::known_ids()) {
    gpucfg::util::Diagnostics d;
    (void)gpucfg::manifest::decode(loaded, *gpucfg::platform::find(id), d);
  }
  return 0;
}
