// Windows variables as apply edits them (plan/winenv): pure, so tested here and under Wine.
#include "plan/winenv.hpp"

#include <catch2/catch.hpp>

using gpucfg::plan::edited;
using gpucfg::plan::EnvEdit;

namespace {
EnvEdit prepend(std::vector<std::string> items) {
  EnvEdit e;
  e.name = "PATH";
  e.prepend = std::move(items);
  return e;
}
} // namespace

TEST_CASE("a PATH prepend puts the folders first, in order, and a second apply adds nothing") {
  const std::string before = "%SystemRoot%\\system32;%SystemRoot%";
  auto e = prepend({"C:\\CUDA\\v11.2\\bin", "C:\\CUDA\\v11.2\\libnvvp"});
  auto once = edited(before, e);
  REQUIRE(once);
  CHECK(*once == "C:\\CUDA\\v11.2\\bin;C:\\CUDA\\v11.2\\libnvvp;" + before);
  CHECK(edited(once, e) == once);
}

TEST_CASE("list entries compare as Windows compares paths: case and a trailing backslash aside") {
  auto e = prepend({"C:\\CUDA\\v11.2\\bin"});
  CHECK(edited(std::string("c:\\cuda\\V11.2\\BIN\\;C:\\Windows"), e) ==
        std::string("c:\\cuda\\V11.2\\BIN\\;C:\\Windows"));
  EnvEdit r;
  r.name = "PATH";
  r.remove = {"c:\\old\\bin"};
  CHECK(edited(std::string("C:\\Old\\Bin\\;C:\\Windows"), r) == std::string("C:\\Windows"));
}

TEST_CASE("set, unset, and an absent variable") {
  EnvEdit s;
  s.name = "CUDA_PATH";
  s.set = "C:\\CUDA\\v11.2";
  CHECK(edited(std::nullopt, s) == std::string("C:\\CUDA\\v11.2"));
  CHECK(edited(std::string("C:\\CUDA\\v10.0"), s) == std::string("C:\\CUDA\\v11.2"));
  EnvEdit u;
  u.name = "TF_XLA_FLAGS";
  u.unset = true;
  CHECK_FALSE(edited(std::string("--x"), u));
  CHECK(edited(std::nullopt, prepend({"C:\\a"})) == std::string("C:\\a"));
}

TEST_CASE("an edit survives the plan's JSON; anything else is refused") {
  EnvEdit e = prepend({"C:\\a", "C:\\b"});
  e.scope = "user";
  auto back = gpucfg::plan::env_edit_from(gpucfg::plan::to_content(e));
  REQUIRE(back);
  CHECK(back->name == "PATH");
  CHECK(back->scope == "user");
  CHECK(back->prepend == e.prepend);
  CHECK_FALSE(gpucfg::plan::env_edit_from("= C:\\a"));
  CHECK_FALSE(gpucfg::plan::env_edit_from(R"({"name": "X", "scope": "machine"})"));
}
