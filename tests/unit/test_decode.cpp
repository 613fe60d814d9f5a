#include "helpers.hpp"

#include <catch2/catch.hpp>

using namespace gpucfg;
using test::decode_text;
using test::head;
using test::mentions;

TEST_CASE("a typo in a key gets a suggestion at its position", "[decode]") {
  auto r = decode_text(head() + "cuda:\n  verion: '11.2'\n", "linux-x86_64", false);
  CHECK_FALSE(r.stack);
  CHECK(mentions(r, "m.yaml:5:3: error: unknown key 'verion' in cuda; did you mean 'version'?"));
  CHECK(mentions(r, "cuda needs 'version'"));
}

TEST_CASE("several errors are reported in one run", "[decode]") {
  auto r = decode_text(
      head() +
          "cuda: {version: eleven}\nverify: {level: compte}\nfiles: [{copy: rel/path, from: /x}]\n",
      "linux-x86_64", false);
  CHECK(r.diags.error_count() == 3);
  CHECK(mentions(r, "bad cuda.version"));
  CHECK(mentions(r, "did you mean 'compute'?"));
  CHECK(mentions(r, "must be an absolute path on linux-x86_64"));
}

TEST_CASE("apiVersion, kind and metadata are checked", "[decode]") {
  auto r = decode_text("apiVersion: gpucfg/v2\nkind: Stak\nmetadata: {name: 'a b'}\n",
                       "linux-x86_64", false);
  CHECK(mentions(r, "unsupported apiVersion 'gpucfg/v2'"));
  CHECK(mentions(r, "kind must be 'Stack'"));
  CHECK(mentions(r, "metadata.name 'a b'"));
  auto none = decode_text("apiVersion: gpucfg/v1\nkind: Stack\n", "linux-x86_64", false);
  CHECK(mentions(none, "the manifest needs 'metadata'"));
}

TEST_CASE("defaults and variables resolve per platform", "[decode]") {
  std::string m = head() + "cuda: {version: '11.2'}\nenv:\n  CUDA_PATH: ${cuda.prefix}\n"
                           "  PATH: {prepend: ['${cuda.prefix}/bin']}\n";
  auto lin = decode_text(m, "linux-x86_64", false);
  REQUIRE(lin.stack);
  CHECK(lin.stack->cuda->prefix.value == "/usr/local/cuda-11.2");
  CHECK(lin.stack->env[1].prepend[0].value == "/usr/local/cuda-11.2/bin");
  auto win = decode_text(m, "windows-x86_64", false);
  REQUIRE(win.stack);
  CHECK(win.stack->env[0].set->value ==
        "C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v11.2");
  CHECK(win.stack->env[1].prepend[0].value ==
        "C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v11.2\\bin");
}

TEST_CASE("when: keeps entries for matching platforms only", "[decode]") {
  std::string m = head() + "files:\n  - {absent: /tmp/x, when: {os: windows}}\n  - {absent: "
                           "/tmp/y, when: {platform: [linux-x86_64]}}\n";
  auto r = decode_text(m, "linux-x86_64", false);
  REQUIRE(r.stack);
  REQUIRE(r.stack->files.size() == 1);
  CHECK(r.stack->files[0].path.value == "/tmp/y");
  auto bad =
      decode_text(head() + "files: [{absent: /x, when: {os: linxu}}]\n", "linux-x86_64", false);
  CHECK(mentions(bad, "unknown os 'linxu' in when; did you mean 'linux'?"));
}

TEST_CASE("files entries are checked for shape", "[decode]") {
  auto r = decode_text(head() +
                           "files:\n"
                           "  - {copy: /a}\n"
                           "  - {alias: /b, from: /c}\n"
                           "  - {copy: /d, alias: /e, from: /f}\n"
                           "  - {copy: /g, from: /h, sha256: abc}\n"
                           "  - {absent: /i, sha256: " +
                           std::string(64, 'a') +
                           "}\n"
                           "  - {copy: /j, from: relative}\n"
                           "  - {copy: /k, from: 'https://example.com/k'}\n"
                           "  - {copy: /l, from: 'file:///srv/l'}\n",
                       "linux-x86_64", false);
  CHECK(mentions(r, "files[0]: copy needs 'from'"));
  CHECK(mentions(r, "files[1]: alias needs 'target'"));
  CHECK(mentions(r, "files[2] takes exactly one of copy, alias, symlink, absent"));
  CHECK(mentions(r, "files[3].sha256 must be 64 hexadecimal digits"));
  CHECK(mentions(r, "files[4].sha256 needs content"));
  CHECK(mentions(r, "files[5].from must be an absolute path or a file:// URL"));
  CHECK(mentions(r, "files[6].from must be a path on this machine, not a download"));
  CHECK_FALSE(mentions(r, "files[7]"));
}

TEST_CASE("env operations are checked", "[decode]") {
  auto r = decode_text(
      head() + "env:\n  A: {set: x, prepend: [/y]}\n  9B: x\n  C: {scope: everyone, set: x}\n"
               "  D: {}\n  E: {prepend: ['/a:/b']}\n",
      "linux-x86_64", false);
  CHECK(mentions(r, "env.A: set/unset replace the value"));
  CHECK(mentions(r, "'9B' is not a valid environment variable name"));
  CHECK(mentions(r, "env.C.scope must be system or user"));
  CHECK(mentions(r, "env.D needs one of set"));
  CHECK(mentions(r, "give one entry per list item, without ':'"));
}

TEST_CASE("cudnn placement and sources", "[decode]") {
  auto r = decode_text(head() + "cudnn: {version: 8.1.0.77, into: cuda}\n", "linux-x86_64", false);
  CHECK(mentions(r, "cudnn.into: cuda needs a cuda section"));
  auto both = decode_text(
      head() + "cuda: {version: '11.2'}\ncudnn: {version: '8.1', into: cuda, prefix: /opt/c}\n",
      "linux-x86_64", false);
  CHECK(mentions(both, "either 'into: cuda' or a 'prefix'"));
  auto src =
      decode_text(head() + "cuda:\n  version: '11.2'\n  source: {archive: /a.tgz, adopt: true}\n",
                  "linux-x86_64", false);
  CHECK(mentions(src, "takes exactly one of adopt, archive"));
  auto wheel = decode_text(
      head() +
          "cuda:\n  version: '12.3'\n  source: {wheels: [{package: nvidia-cuda-runtime-cu12}]}\n",
      "linux-x86_64", false);
  CHECK(mentions(wheel, "must pin a version: name==version"));
  auto ok =
      decode_text(head() + "cuda: {version: '12.3'}\ncudnn:\n  version: 8.9.7.29\n  into: cuda\n"
                           "  place: [{from: lib/libcudnn*.so.8*, to: lib64}]\n",
                  "linux-x86_64", false);
  REQUIRE(ok.stack);
  CHECK(ok.stack->cudnn->place[0].to.value == "/usr/local/cuda-12.3/lib64");
}

TEST_CASE("an unquoted version that other YAML tools read as a number warns", "[decode]") {
  auto r = decode_text(head() + "cuda: {version: 11.10}\n", "linux-x86_64", false);
  REQUIRE(r.stack);
  CHECK(r.stack->cuda->version.value.minor() == 10);
  CHECK(mentions(r, "unquoted is the number 11.1"));
}
