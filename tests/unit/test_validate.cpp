#include "helpers.hpp"

#include <catch2/catch.hpp>

using namespace gpucfg;
using test::decode_text;
using test::head;
using test::mentions;

TEST_CASE("a driver below the CUDA major's floor is an error with its source", "[validate]") {
  auto r =
      decode_text(head() + "requires: {driver: {linux: '>=440.33'}}\ncuda: {version: '11.2'}\n");
  CHECK(mentions(
      r, "error: driver 440.33 cannot run CUDA 11.2 at all: CUDA 11.x needs >=450.80.02 on linux"));
  CHECK(mentions(r, "note: source:"));
}

TEST_CASE("a driver between the floor and the toolkit's minimum is a warning", "[validate]") {
  auto r =
      decode_text(head() + "requires: {driver: {linux: '>=455.23'}}\ncuda: {version: '11.2'}\n");
  CHECK_FALSE(r.diags.has_errors());
  CHECK(mentions(r, "warning: driver 455.23 is below CUDA 11.2.0 GA's 460.27.03"));
  auto old = decode_text(head() + "requires: {driver: '>=400'}\ncuda: {version: '10.0'}\n");
  CHECK(mentions(
      old, "error: driver 400 is below CUDA 10.0.130's minimum 410.48 on linux (no minor-version"));
}

TEST_CASE("compute capabilities the toolkit dropped are caught", "[validate]") {
  auto warn =
      decode_text(head() + "requires: {compute_capability: '>=3.0'}\ncuda: {version: '11.2'}\n");
  CHECK(mentions(warn, "warning: compute_capability >=3.0 admits GPUs CUDA 11.2 cannot target: "
                       "sm_30 (removed in CUDA 11.0)"));
  auto err = decode_text(head() +
                         "requires: {compute_capability: '>=3.0,<7.0'}\ncuda: {version: '13.0'}\n");
  CHECK(err.diags.has_errors());
}

TEST_CASE("compute_capability may differ per OS (a wheel's PTX on one OS only)", "[validate]") {
  std::string m = head() + "requires:\n  compute_capability: {linux: '>=7.5', windows: '>=7.5,<13.0'}\n"
                           "cuda: {version: '13.0'}\n";
  auto linux_side = decode_text(m, "linux-x86_64");
  REQUIRE(linux_side.stack);
  CHECK(linux_side.stack->requires_.compute_capability->value.str() == ">=7.5");
  auto windows_side = decode_text(m, "windows-x86_64");
  REQUIRE(windows_side.stack);
  CHECK(windows_side.stack->requires_.compute_capability->value.str() == ">=7.5,<13.0");
  CHECK_FALSE(windows_side.diags.has_errors());
  auto typo = decode_text(head() + "requires:\n  compute_capability: {linx: '>=7.5'}\n");
  CHECK(mentions(typo, "unknown key 'linx'"));
}

TEST_CASE("cuDNN must have a build for the CUDA major", "[validate]") {
  auto r =
      decode_text(head() + "cuda: {version: '12.2'}\ncudnn: {version: 8.1.0.77, into: cuda}\n");
  CHECK(mentions(r, "error: cuDNN 8.1.0.77 has no build for CUDA 12.x (builds: 10.2, 11.2)"));
  auto cross = decode_text(
      head() + "cuda: {version: '12.2'}\ncudnn: {version: 8.9.7.29, cuda: '11', into: cuda}\n");
  CHECK(mentions(cross, "cuDNN built for CUDA 11 does not work with CUDA 12.2"));
  auto ok =
      decode_text(head() + "cuda: {version: '12.3'}\ncudnn: {version: 8.9.7.29, into: cuda}\n");
  CHECK_FALSE(ok.diags.has_errors());
}

TEST_CASE("a framework is checked against its tested configuration", "[validate]") {
  auto older = decode_text(
      head() + "framework: {name: tensorflow, version: '2.5'}\ncuda: {version: '11.2'}\n"
               "cudnn: {version: '8.0', into: cuda}\n");
  CHECK(mentions(older,
                 "error: TensorFlow 2.5.0 was built with cuDNN 8.1; cuDNN 8.0 cannot serve it"));
  auto windows =
      decode_text(head() + "framework: {name: tensorflow, version: '2.12'}\n", "windows-x86_64");
  CHECK(mentions(windows,
                 "tensorflow 2.12 is not supported on windows-x86_64: TensorFlow 2.11 and later"));
  auto torch = decode_text(head() + "framework: {name: pytorch, version: '2.5', cuda: '12.6'}\n");
  CHECK(mentions(torch, "PyTorch 2.5 has no CUDA 12.6 build (offered: 11.8, 12.1, 12.4)"));
}

TEST_CASE("a manifest asked for a platform it does not declare is refused", "[validate]") {
  auto r = decode_text(head() + "requires: {platforms: [linux-x86_64]}\n", "windows-x86_64");
  CHECK(mentions(r, "'t' supports linux-x86_64 only, not windows-x86_64"));
}

TEST_CASE("unconfirmed knowledge only warns", "[validate]") {
  auto r = decode_text(
      head() + "cuda: {version: '11.2'}\nrequires: {host_compiler: {linux: {gcc: '<=12'}}}\n");
  CHECK_FALSE(r.diags.has_errors());
  CHECK(mentions(r, "warning: gcc 12 is outside what nvcc 11.2 accepts (<=10)"));
  CHECK(mentions(r, "[unconfirmed]"));
}

TEST_CASE("the same path managed twice is an error", "[validate]") {
  auto r = decode_text(head() + "files: [{absent: /a}, {copy: /a, from: /b}]\n");
  CHECK(mentions(r, "'/a' is managed by two files entries"));
}
