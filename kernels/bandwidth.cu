// Verify workload: device-memory bandwidth of a device-to-device copy, with the copy checked.
#include <stdexcept>

#include "common.cuh"

int main() {
  if (!gv::have_device({"memory bandwidth"})) return 0;
  try {
    const std::size_t n = std::size_t(1) << 28;  // 1 GiB of floats... 256 Mi floats = 1 GiB
    float *a = nullptr, *b = nullptr;
    GV_CUDA(cudaMalloc(&a, n * sizeof(float)));
    GV_CUDA(cudaMalloc(&b, n * sizeof(float)));
    auto host = gv::random_floats(1 << 20, 7);
    for (std::size_t off = 0; off < n; off += host.size())
      GV_CUDA(cudaMemcpy(a + off, host.data(), host.size() * sizeof(float), cudaMemcpyHostToDevice));
    GV_CUDA(cudaMemset(b, 0xff, n * sizeof(float)));  // poison: NaN everywhere
    double ms = gv::median_ms([&] { cudaMemcpy(b, a, n * sizeof(float), cudaMemcpyDeviceToDevice); });
    GV_CUDA(cudaGetLastError());
    std::vector<float> back(host.size());
    bool ok = true;
    for (std::size_t off : {std::size_t(0), n / 2, n - host.size()}) {
      GV_CUDA(cudaMemcpy(back.data(), b + off, back.size() * sizeof(float), cudaMemcpyDeviceToHost));
      ok = ok && back == host;
    }
    double gbps = 2.0 * n * sizeof(float) / (ms * 1e-3) / 1e9;  // bytes read + written
    char extra[128];
    std::snprintf(extra, sizeof extra, "\"gb_per_s\": %.1f", gbps);
    gv::result("memory bandwidth", ok ? "pass" : "fail",
               ok ? "device-to-device copy of 1 GiB, read + written" : "the copied data differ from the source", extra);
    cudaFree(a);
    cudaFree(b);
  } catch (const std::exception& e) {
    gv::result("memory bandwidth", "fail", e.what());
  }
  return 0;
}
