// Verify workload: cuDNN convolution forward (fp32 NCHW, fp16 NHWC) and backward data and filter
// (fp32), each with outputs poisoned first and sampled outputs checked against a double-precision
// CPU reference; then forward fp16 NHWC throughput on the issue's three shapes. Algorithms come
// from cuDNN's autotuner (cudnnFind*AlgorithmEx), available from cuDNN 7 through 9.
#include <algorithm>
#include <functional>
#include <stdexcept>

#include <cuda_fp16.h>
#include <cudnn.h>

#include "common.cuh"

namespace {

void ck(cudnnStatus_t s, const char* what) {
  if (s != CUDNN_STATUS_SUCCESS) throw std::runtime_error(std::string(what) + ": " + cudnnGetErrorString(s));
}

struct Shape {
  int n, c, h, w, k, r;
  int pad() const { return r / 2; }
  std::size_t x() const { return std::size_t(n) * c * h * w; }
  std::size_t wt() const { return std::size_t(k) * c * r * r; }
  std::size_t y() const { return std::size_t(n) * k * h * w; }  // stride 1, "same" padding
  double flops() const { return 2.0 * n * k * h * w * double(c) * r * r; }
};

struct Conv {
  cudnnHandle_t h;
  cudnnTensorDescriptor_t xd, yd;
  cudnnFilterDescriptor_t wd;
  cudnnConvolutionDescriptor_t cd;
  bool half, nhwc;
  Shape s;

  Conv(cudnnHandle_t handle, const Shape& shape, bool fp16) : h(handle), half(fp16), nhwc(fp16), s(shape) {
    cudnnDataType_t t = half ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT;
    cudnnTensorFormat_t f = nhwc ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW;
    ck(cudnnCreateTensorDescriptor(&xd), "tensor");
    ck(cudnnCreateTensorDescriptor(&yd), "tensor");
    ck(cudnnCreateFilterDescriptor(&wd), "filter");
    ck(cudnnCreateConvolutionDescriptor(&cd), "conv");
    ck(cudnnSetTensor4dDescriptor(xd, f, t, s.n, s.c, s.h, s.w), "x");
    ck(cudnnSetTensor4dDescriptor(yd, f, t, s.n, s.k, s.h, s.w), "y");
    ck(cudnnSetFilter4dDescriptor(wd, t, f, s.k, s.c, s.r, s.r), "w");
    ck(cudnnSetConvolution2dDescriptor(cd, s.pad(), s.pad(), 1, 1, 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT), "c");
    // fp32 is checked in true fp32 (no TF32); fp16 may use tensor cores.
    ck(cudnnSetConvolutionMathType(cd, half ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH), "math");
  }
  ~Conv() {
    cudnnDestroyTensorDescriptor(xd);
    cudnnDestroyTensorDescriptor(yd);
    cudnnDestroyFilterDescriptor(wd);
    cudnnDestroyConvolutionDescriptor(cd);
  }
  // Index of logical (n, c, h, w) in this layout.
  std::size_t at(int n, int c, int y, int x, int C, int H, int W) const {
    return nhwc ? ((std::size_t(n) * H + y) * W + x) * C + c : ((std::size_t(n) * C + c) * H + y) * W + x;
  }
};

// Device buffers holding `host` in the conv's element type; the host copy is rounded the same way.
struct Buf {
  void* d = nullptr;
  std::size_t n;
  bool half;
  Buf(std::vector<float>& host, bool fp16) : n(host.size()), half(fp16) {
    GV_CUDA(cudaMalloc(&d, n * (half ? 2 : 4)));
    if (half) {
      std::vector<__half> hv(n);
      for (std::size_t i = 0; i < n; ++i) {
        hv[i] = __float2half(host[i]);
        host[i] = __half2float(hv[i]);
      }
      GV_CUDA(cudaMemcpy(d, hv.data(), n * 2, cudaMemcpyHostToDevice));
    } else {
      GV_CUDA(cudaMemcpy(d, host.data(), n * 4, cudaMemcpyHostToDevice));
    }
  }
  void poison() { GV_CUDA(cudaMemset(d, 0xff, n * (half ? 2 : 4))); }
  std::vector<float> get() const {
    std::vector<float> out(n);
    if (half) {
      std::vector<__half> hv(n);
      GV_CUDA(cudaMemcpy(hv.data(), d, n * 2, cudaMemcpyDeviceToHost));
      for (std::size_t i = 0; i < n; ++i) out[i] = __half2float(hv[i]);
    } else {
      GV_CUDA(cudaMemcpy(out.data(), d, n * 4, cudaMemcpyDeviceToHost));
    }
    return out;
  }
  ~Buf() { cudaFree(d); }
};

struct Workspace {
  void* d = nullptr;
  std::size_t size = 0;
  void need(std::size_t s) {
    if (s <= size) return;
    cudaFree(d);
    GV_CUDA(cudaMalloc(&d, s));
    size = s;
  }
  ~Workspace() { cudaFree(d); }
};

void report(const std::string& name, double worst, double tol, const std::string& algo, double ms, const Shape& s) {
  char extra[320];
  std::snprintf(extra, sizeof extra,
                "\"max_rel_err\": %.2e, \"algo\": \"%s\", \"ms\": %.3f, \"tflops\": %.1f, \"shape\": [%d,%d,%d,%d,%d,%d]", worst,
                algo.c_str(), ms, s.flops() / (ms * 1e-3) / 1e12, s.n, s.c, s.h, s.w, s.k, s.r);
  gv::result(name, worst <= tol ? "pass" : "fail",
             worst <= tol ? "128 sampled outputs within " + std::to_string(tol) + " of the fp64 reference"
                          : "max relative error " + std::to_string(worst) + " > " + std::to_string(tol),
             extra);
}

void forward(cudnnHandle_t h, const Shape& s, bool half, Workspace& ws, bool check, const std::string& name) {
  Conv cv(h, s, half);
  auto X = gv::random_floats(s.x(), 11), W = gv::random_floats(s.wt(), 12);
  std::vector<float> Y(s.y(), 0.f);
  Buf x(X, half), w(W, half), y(Y, half);
  cudnnConvolutionFwdAlgoPerf_t perf[16];
  int found = 0;
  ws.need(std::size_t(512) << 20);
  y.poison();
  ck(cudnnFindConvolutionForwardAlgorithmEx(h, cv.xd, x.d, cv.wd, w.d, cv.cd, cv.yd, y.d, 16, &found, perf, ws.d, ws.size),
     "cudnnFindConvolutionForwardAlgorithmEx");
  const cudnnConvolutionFwdAlgoPerf_t* best = nullptr;
  for (int i = 0; i < found && !best; ++i)
    if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].memory <= ws.size) best = &perf[i];
  if (!best) throw std::runtime_error("no forward algorithm runs within 512 MiB of workspace");
  const float one = 1, zero = 0;
  auto run = [&] {
    ck(cudnnConvolutionForward(h, &one, cv.xd, x.d, cv.wd, w.d, cv.cd, best->algo, ws.d, ws.size, &zero, cv.yd, y.d),
       "cudnnConvolutionForward");
  };
  y.poison();
  run();
  GV_CUDA(cudaDeviceSynchronize());
  double worst = 0;
  if (check) {
    auto out = y.get();
    std::mt19937 rng(5);
    for (int t = 0; t < 128; ++t) {
      int n = rng() % s.n, k = rng() % s.k, p = rng() % s.h, q = rng() % s.w;
      double want = 0;
      for (int c = 0; c < s.c; ++c)
        for (int r = 0; r < s.r; ++r)
          for (int u = 0; u < s.r; ++u) {
            int iy = p + r - s.pad(), ix = q + u - s.pad();
            if (iy < 0 || ix < 0 || iy >= s.h || ix >= s.w) continue;
            std::size_t wi = cv.nhwc ? ((std::size_t(k) * s.r + r) * s.r + u) * s.c + c : ((std::size_t(k) * s.c + c) * s.r + r) * s.r + u;
            want += double(X[cv.at(n, c, iy, ix, s.c, s.h, s.w)]) * W[wi];
          }
      worst = std::max(worst, gv::rel_err(out[cv.at(n, k, p, q, s.k, s.h, s.w)], want, 1.0));
    }
  }
  double ms = gv::median_ms(run);
  report(name, worst, half ? 2e-2 : 1e-4, std::to_string(best->algo), ms, s);
}

void backward(cudnnHandle_t h, const Shape& s, Workspace& ws) {
  Conv cv(h, s, false);
  auto X = gv::random_floats(s.x(), 21), W = gv::random_floats(s.wt(), 22), DY = gv::random_floats(s.y(), 23);
  std::vector<float> DX(s.x()), DW(s.wt());
  Buf x(X, false), w(W, false), dy(DY, false), dx(DX, false), dw(DW, false);
  ws.need(std::size_t(512) << 20);
  const float one = 1, zero = 0;
  int found = 0;
  cudnnConvolutionBwdDataAlgoPerf_t dperf[16];
  dx.poison();
  ck(cudnnFindConvolutionBackwardDataAlgorithmEx(h, cv.wd, w.d, cv.yd, dy.d, cv.cd, cv.xd, dx.d, 16, &found, dperf, ws.d,
                                                 ws.size),
     "cudnnFindConvolutionBackwardDataAlgorithmEx");
  auto dalgo = dperf[0].algo;
  auto bwd_data = [&] {
    ck(cudnnConvolutionBackwardData(h, &one, cv.wd, w.d, cv.yd, dy.d, cv.cd, dalgo, ws.d, ws.size, &zero, cv.xd, dx.d),
       "cudnnConvolutionBackwardData");
  };
  dx.poison();
  bwd_data();
  cudnnConvolutionBwdFilterAlgoPerf_t fperf[16];
  dw.poison();
  ck(cudnnFindConvolutionBackwardFilterAlgorithmEx(h, cv.xd, x.d, cv.yd, dy.d, cv.cd, cv.wd, dw.d, 16, &found, fperf,
                                                   ws.d, ws.size),
     "cudnnFindConvolutionBackwardFilterAlgorithmEx");
  auto falgo = fperf[0].algo;
  auto bwd_filter = [&] {
    ck(cudnnConvolutionBackwardFilter(h, &one, cv.xd, x.d, cv.yd, dy.d, cv.cd, falgo, ws.d, ws.size, &zero, cv.wd, dw.d),
       "cudnnConvolutionBackwardFilter");
  };
  dw.poison();
  bwd_filter();
  GV_CUDA(cudaDeviceSynchronize());
  auto gdx = dx.get(), gdw = dw.get();
  std::mt19937 rng(9);
  double wd = 0, wf = 0;
  for (int t = 0; t < 128; ++t) {
    int n = rng() % s.n, c = rng() % s.c, y0 = rng() % s.h, x0 = rng() % s.w;
    double want = 0;
    for (int k = 0; k < s.k; ++k)
      for (int r = 0; r < s.r; ++r)
        for (int u = 0; u < s.r; ++u) {
          int p = y0 - r + s.pad(), q = x0 - u + s.pad();
          if (p < 0 || q < 0 || p >= s.h || q >= s.w) continue;
          want += double(DY[cv.at(n, k, p, q, s.k, s.h, s.w)]) * W[((std::size_t(k) * s.c + c) * s.r + r) * s.r + u];
        }
    wd = std::max(wd, gv::rel_err(gdx[cv.at(n, c, y0, x0, s.c, s.h, s.w)], want, 1.0));
    int k = rng() % s.k, c2 = rng() % s.c, r = rng() % s.r, u = rng() % s.r;
    double wantf = 0;
    for (int nn = 0; nn < s.n; ++nn)
      for (int p = 0; p < s.h; ++p)
        for (int q = 0; q < s.w; ++q) {
          int iy = p + r - s.pad(), ix = q + u - s.pad();
          if (iy < 0 || ix < 0 || iy >= s.h || ix >= s.w) continue;
          wantf += double(DY[cv.at(nn, k, p, q, s.k, s.h, s.w)]) * X[cv.at(nn, c2, iy, ix, s.c, s.h, s.w)];
        }
    wf = std::max(wf, gv::rel_err(gdw[((std::size_t(k) * s.c + c2) * s.r + r) * s.r + u], wantf, 1.0));
  }
  report("cudnn conv bwd data fp32", wd, 1e-4, std::to_string(dalgo), gv::median_ms(bwd_data), s);
  report("cudnn conv bwd filter fp32", wf, 1e-4, std::to_string(falgo), gv::median_ms(bwd_filter), s);
}

}  // namespace

int main() {
  std::vector<std::string> checks = {"cudnn conv fwd fp32", "cudnn conv fwd fp16", "cudnn conv bwd data fp32",
                                     "cudnn conv bwd filter fp32"};
  if (!gv::have_device(checks)) return 0;
  cudnnHandle_t h = nullptr;
  if (cudnnCreate(&h) != CUDNN_STATUS_SUCCESS) {
    for (const auto& c : checks) gv::result(c, "fail", "cudnnCreate failed");
    return 0;
  }
  char lib[512];
  std::snprintf(lib, sizeof lib, "\"cudnn_header\": %d, \"cudnn_runtime\": %zu, \"library\": \"%s\"", CUDNN_VERSION,
                cudnnGetVersion(), gv::esc(gv::loaded_from(reinterpret_cast<void*>(&cudnnCreate))).c_str());
  gv::result("cudnn load", cudnnGetVersion() == CUDNN_VERSION ? "pass" : "fail",
             cudnnGetVersion() == CUDNN_VERSION ? "header and library agree"
                                                : "compiled against cuDNN " + std::to_string(CUDNN_VERSION) +
                                                      ", loaded " + std::to_string(cudnnGetVersion()),
             lib);
  Workspace ws;
  const Shape small{4, 32, 16, 16, 32, 3};
  auto guarded = [&](const std::string& name, const std::function<void()>& f) {
    try {
      f();
    } catch (const std::exception& e) {
      gv::result(name, "fail", e.what());
    }
  };
  guarded("cudnn conv fwd fp32", [&] { forward(h, small, false, ws, true, "cudnn conv fwd fp32"); });
  guarded("cudnn conv fwd fp16", [&] { forward(h, small, true, ws, true, "cudnn conv fwd fp16"); });
  guarded("cudnn conv bwd data fp32", [&] { backward(h, small, ws); });
  for (const Shape& s : {Shape{256, 256, 14, 14, 256, 3}, Shape{128, 128, 56, 56, 128, 3}, Shape{64, 64, 224, 224, 64, 3}}) {
    std::string name = "cudnn conv fwd fp16 nhwc " + std::to_string(s.n) + "x" + std::to_string(s.c) + "x" +
                       std::to_string(s.h) + "x" + std::to_string(s.w) + " k" + std::to_string(s.k);
    guarded(name, [&] { forward(h, s, true, ws, true, name); });
  }
  cudnnDestroy(h);
  return 0;
}
