// util::glob_match: the cases manifests use (cuDNN placement rules, capture's --exclude), and
// fnmatch's corner cases, written out so the same expectations hold on Windows.
#include "util/glob.hpp"

#include <catch2/catch.hpp>

using gpucfg::util::glob_match;

TEST_CASE("glob: placement rules and capture patterns") {
  CHECK(glob_match("include/cudnn*.h", "include/cudnn_version.h", true));
  CHECK_FALSE(glob_match("include/cudnn*.h", "include/sub/cudnn.h", true));
  CHECK(glob_match("lib/libcudnn*.so*", "lib/libcudnn_ops.so.9.1.0", true));
  CHECK(glob_match("lib/libcudnn_*", "lib/libcudnn_cnn.so.9", false));
  CHECK(glob_match("*", "a/b", false));
  CHECK_FALSE(glob_match("*", "a/b", true));
  CHECK(glob_match("bin/cudnn64_?.dll", "bin/cudnn64_8.dll", true));
  CHECK_FALSE(glob_match("bin/cudnn64_?.dll", "bin/cudnn64_10.dll", true));
}

TEST_CASE("glob: classes, escapes, stars") {
  CHECK(glob_match("lib[0-9]*", "lib64", true));
  CHECK_FALSE(glob_match("lib[!0-9]*", "lib64", true));
  CHECK(glob_match("lib[!0-9]*", "libx", true));
  CHECK(glob_match("a[]]b", "a]b", true));
  CHECK(glob_match("a[", "a[", true)); // no closing ']': an ordinary '['
  CHECK(glob_match("a\\*b", "a*b", true));
  CHECK_FALSE(glob_match("a\\*b", "axb", true));
  CHECK_FALSE(glob_match("a[/]b", "a/b", true));
  CHECK(glob_match("a[/]b", "a/b", false));
  CHECK(glob_match("**", "", true));
  CHECK_FALSE(glob_match("?", "", true));
  CHECK(glob_match("a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaab", true));
  CHECK_FALSE(glob_match("a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true));
  CHECK(glob_match("*/x", "dir/x", true));
  CHECK_FALSE(glob_match("*x", "dir/x", true));
}
