// Verify workload: cuBLAS GEMM in fp32 and fp16 (fp32 accumulation), outputs poisoned before the
// run, sampled entries checked against a double-precision CPU reference, throughput in TFLOP/s.
#include <stdexcept>

#include <cublas_v2.h>
#include <cuda_fp16.h>

#include "common.cuh"

namespace {

void check_blas(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS) throw std::runtime_error(std::string(what) + ": cuBLAS status " + std::to_string(s));
}

void run(cublasHandle_t h, bool half, int n) {
  std::string name = half ? "cublas gemm fp16" : "cublas gemm fp32";
  auto A = gv::random_floats(std::size_t(n) * n, 1), B = gv::random_floats(std::size_t(n) * n, 2);
  std::size_t elem = half ? 2 : 4;
  void *dA, *dB, *dC;
  GV_CUDA(cudaMalloc(&dA, A.size() * elem));
  GV_CUDA(cudaMalloc(&dB, B.size() * elem));
  GV_CUDA(cudaMalloc(&dC, A.size() * elem));
  if (half) {
    std::vector<__half> hA(A.size()), hB(B.size());
    for (std::size_t i = 0; i < A.size(); ++i) {
      hA[i] = __float2half(A[i]);
      hB[i] = __float2half(B[i]);
      A[i] = __half2float(hA[i]);  // the reference uses the values the GPU sees
      B[i] = __half2float(hB[i]);
    }
    GV_CUDA(cudaMemcpy(dA, hA.data(), hA.size() * 2, cudaMemcpyHostToDevice));
    GV_CUDA(cudaMemcpy(dB, hB.data(), hB.size() * 2, cudaMemcpyHostToDevice));
  } else {
    GV_CUDA(cudaMemcpy(dA, A.data(), A.size() * 4, cudaMemcpyHostToDevice));
    GV_CUDA(cudaMemcpy(dB, B.data(), B.size() * 4, cudaMemcpyHostToDevice));
  }
  GV_CUDA(cudaMemset(dC, 0xff, A.size() * elem));  // poison
  const float one = 1.0f, zero = 0.0f;
  cudaDataType t = half ? CUDA_R_16F : CUDA_R_32F;
  // fp32 is checked in true fp32 (no TF32), so the tolerance can be tight.
  check_blas(cublasSetMathMode(h, half ? CUBLAS_DEFAULT_MATH : CUBLAS_PEDANTIC_MATH), "cublasSetMathMode");
  auto gemm = [&] {
    check_blas(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, dA, t, n, dB, t, n, &zero, dC, t, n,
                            CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
               "cublasGemmEx");
  };
  gemm();
  GV_CUDA(cudaDeviceSynchronize());
  std::vector<float> C(A.size());
  if (half) {
    std::vector<__half> hC(A.size());
    GV_CUDA(cudaMemcpy(hC.data(), dC, hC.size() * 2, cudaMemcpyDeviceToHost));
    for (std::size_t i = 0; i < C.size(); ++i) C[i] = __half2float(hC[i]);
  } else {
    GV_CUDA(cudaMemcpy(C.data(), dC, C.size() * 4, cudaMemcpyDeviceToHost));
  }
  // Column-major: C(i,j) = sum_k A(i,k) B(k,j).
  std::mt19937 rng(3);
  double worst = 0;
  for (int s = 0; s < 256; ++s) {
    int i = static_cast<int>(rng() % n), j = static_cast<int>(rng() % n);
    double want = 0;
    for (int k = 0; k < n; ++k) want += double(A[std::size_t(k) * n + i]) * double(B[std::size_t(j) * n + k]);
    worst = std::max(worst, gv::rel_err(C[std::size_t(j) * n + i], want, std::sqrt(double(n))));
  }
  double tol = half ? 1e-2 : 1e-5;
  double ms = gv::median_ms(gemm);
  double tflops = 2.0 * n * n * double(n) / (ms * 1e-3) / 1e12;
  char extra[256];
  std::snprintf(extra, sizeof extra, "\"tflops\": %.1f, \"max_rel_err\": %.2e, \"size\": %d, \"library\": \"%s\"", tflops,
                worst, n, gv::esc(gv::loaded_from(reinterpret_cast<void*>(&cublasCreate_v2))).c_str());
  gv::result(name, worst <= tol ? "pass" : "fail",
             worst <= tol ? "256 sampled outputs within " + std::to_string(tol) + " of the fp64 reference"
                          : "max relative error " + std::to_string(worst) + " > " + std::to_string(tol),
             extra);
  cudaFree(dA);
  cudaFree(dB);
  cudaFree(dC);
}

}  // namespace

int main() {
  if (!gv::have_device({"cublas gemm fp32", "cublas gemm fp16"})) return 0;
  cublasHandle_t h = nullptr;
  if (cublasCreate(&h) != CUBLAS_STATUS_SUCCESS) {
    gv::result("cublas gemm fp32", "fail", "cublasCreate failed");
    return 0;
  }
  for (bool half : {false, true}) {
    try {
      run(h, half, half ? 8192 : 4096);
    } catch (const std::exception& e) {
      gv::result(half ? "cublas gemm fp16" : "cublas gemm fp32", "fail", e.what());
    }
  }
  cublasDestroy(h);
  return 0;
}
