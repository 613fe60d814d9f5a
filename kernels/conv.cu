// Verify workload: cuDNN convolution forward, backward data and backward filter in fp32 (NCHW)
// and fp16 (NHWC), each with outputs poisoned first and sampled outputs checked against a
// double-precision CPU reference; then forward fp16 NHWC throughput on the issue's three shapes.
// The small checks use the legacy API's autotuner (cudnnFind*AlgorithmEx, cuDNN 7 through 9);
// the throughput shapes use the graph API with heuristics and autotuning where cuDNN >= 9.
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

// Largest relative error of 128 sampled forward outputs against the fp64 reference.
double forward_error(const Conv& cv, const Shape& s, const std::vector<float>& X, const std::vector<float>& W,
                     const std::vector<float>& out) {
  std::mt19937 rng(5);
  double worst = 0;
  for (int t = 0; t < 128; ++t) {
    int n = rng() % s.n, k = rng() % s.k, p = rng() % s.h, q = rng() % s.w;
    double want = 0;
    for (int c = 0; c < s.c; ++c)
      for (int r = 0; r < s.r; ++r)
        for (int u = 0; u < s.r; ++u) {
          int iy = p + r - s.pad(), ix = q + u - s.pad();
          if (iy < 0 || ix < 0 || iy >= s.h || ix >= s.w) continue;
          std::size_t wi = cv.nhwc ? ((std::size_t(k) * s.r + r) * s.r + u) * s.c + c
                                   : ((std::size_t(k) * s.c + c) * s.r + r) * s.r + u;
          want += double(X[cv.at(n, c, iy, ix, s.c, s.h, s.w)]) * W[wi];
        }
    worst = std::max(worst, gv::rel_err(out[cv.at(n, k, p, q, s.k, s.h, s.w)], want, 1.0));
  }
  return worst;
}

#if CUDNN_MAJOR >= 9
// The graph (backend) API: cuDNN's heuristics propose engine configurations for a one-node
// convolution graph; each that finalizes is timed and the fastest kept. This is how cuDNN's
// best path (and PyTorch's benchmark mode) picks engines; the legacy Find API sees fewer.
struct Backend {
  cudnnBackendDescriptor_t d = nullptr;
  explicit Backend(cudnnBackendDescriptorType_t t) { ck(cudnnBackendCreateDescriptor(t, &d), "cudnnBackendCreateDescriptor"); }
  ~Backend() { if (d) cudnnBackendDestroyDescriptor(d); }
  Backend(const Backend&) = delete;
  Backend(Backend&& o) noexcept : d(o.d) { o.d = nullptr; }
  template <class T> void set(cudnnBackendAttributeName_t a, cudnnBackendAttributeType_t t, int64_t n, const T* v) {
    ck(cudnnBackendSetAttribute(d, a, t, n, v), "cudnnBackendSetAttribute");
  }
  cudnnStatus_t finalize() { return cudnnBackendFinalize(d); }
};

Backend tensor(int64_t uid, const int64_t dims[4], const int64_t strides[4]) {
  Backend t(CUDNN_BACKEND_TENSOR_DESCRIPTOR);
  cudnnDataType_t dt = CUDNN_DATA_HALF;
  int64_t align = 16;
  t.set(CUDNN_ATTR_TENSOR_DATA_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &dt);
  t.set(CUDNN_ATTR_TENSOR_DIMENSIONS, CUDNN_TYPE_INT64, 4, dims);
  t.set(CUDNN_ATTR_TENSOR_STRIDES, CUDNN_TYPE_INT64, 4, strides);
  t.set(CUDNN_ATTR_TENSOR_UNIQUE_ID, CUDNN_TYPE_INT64, 1, &uid);
  t.set(CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT, CUDNN_TYPE_INT64, 1, &align);
  ck(t.finalize(), "tensor finalize");
  return t;
}

// Runs the fastest engine for a fp16 NHWC forward convolution; returns its median ms.
double graph_forward(cudnnHandle_t h, const Shape& s, void* x, void* w, void* y, Workspace& ws, std::string* engine) {
  int64_t N = s.n, C = s.c, H = s.h, W = s.w, K = s.k, R = s.r;
  int64_t xd[4] = {N, C, H, W}, xs[4] = {H * W * C, 1, W * C, C};
  int64_t wd[4] = {K, C, R, R}, wst[4] = {R * R * C, 1, R * C, C};
  int64_t yd[4] = {N, K, H, W}, ys[4] = {H * W * K, 1, W * K, K};
  Backend X = tensor(1, xd, xs), Wt = tensor(2, wd, wst), Y = tensor(3, yd, ys);
  Backend conv(CUDNN_BACKEND_CONVOLUTION_DESCRIPTOR);
  cudnnDataType_t comp = CUDNN_DATA_FLOAT;
  cudnnConvolutionMode_t mode = CUDNN_CROSS_CORRELATION;
  int64_t dims = 2, one[2] = {1, 1}, pad[2] = {s.pad(), s.pad()};
  conv.set(CUDNN_ATTR_CONVOLUTION_COMP_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &comp);
  conv.set(CUDNN_ATTR_CONVOLUTION_CONV_MODE, CUDNN_TYPE_CONVOLUTION_MODE, 1, &mode);
  conv.set(CUDNN_ATTR_CONVOLUTION_SPATIAL_DIMS, CUDNN_TYPE_INT64, 1, &dims);
  conv.set(CUDNN_ATTR_CONVOLUTION_DILATIONS, CUDNN_TYPE_INT64, 2, one);
  conv.set(CUDNN_ATTR_CONVOLUTION_FILTER_STRIDES, CUDNN_TYPE_INT64, 2, one);
  conv.set(CUDNN_ATTR_CONVOLUTION_PRE_PADDINGS, CUDNN_TYPE_INT64, 2, pad);
  conv.set(CUDNN_ATTR_CONVOLUTION_POST_PADDINGS, CUDNN_TYPE_INT64, 2, pad);
  ck(conv.finalize(), "convolution finalize");
  Backend op(CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR);
  float alpha = 1, beta = 0;
  op.set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_X, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &X.d);
  op.set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_W, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &Wt.d);
  op.set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_Y, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &Y.d);
  op.set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_CONV_DESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &conv.d);
  op.set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA, CUDNN_TYPE_FLOAT, 1, &alpha);
  op.set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_BETA, CUDNN_TYPE_FLOAT, 1, &beta);
  ck(op.finalize(), "operation finalize");
  Backend graph(CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR);
  graph.set(CUDNN_ATTR_OPERATIONGRAPH_OPS, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &op.d);
  graph.set(CUDNN_ATTR_OPERATIONGRAPH_HANDLE, CUDNN_TYPE_HANDLE, 1, &h);
  ck(graph.finalize(), "operation graph finalize");

  // Candidates from heuristics mode A, then the fallback list, as cuDNN's frontend does.
  std::vector<Backend> plans;
  std::vector<int64_t> workspaces;
  for (cudnnBackendHeurMode_t hm : {CUDNN_HEUR_MODE_A, CUDNN_HEUR_MODE_FALLBACK}) {
    Backend heur(CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR);
    heur.set(CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &graph.d);
    heur.set(CUDNN_ATTR_ENGINEHEUR_MODE, CUDNN_TYPE_HEUR_MODE, 1, &hm);
    if (heur.finalize() != CUDNN_STATUS_SUCCESS) continue;
    int64_t count = 0;
    cudnnBackendGetAttribute(heur.d, CUDNN_ATTR_ENGINEHEUR_RESULTS, CUDNN_TYPE_BACKEND_DESCRIPTOR, 0, &count, nullptr);
    std::vector<Backend> cfgs;
    std::vector<cudnnBackendDescriptor_t> raw;
    for (int64_t i = 0; i < count; ++i) {
      cfgs.emplace_back(CUDNN_BACKEND_ENGINECFG_DESCRIPTOR);
      raw.push_back(cfgs.back().d);
    }
    int64_t got = 0;
    if (count == 0 || cudnnBackendGetAttribute(heur.d, CUDNN_ATTR_ENGINEHEUR_RESULTS, CUDNN_TYPE_BACKEND_DESCRIPTOR,
                                               count, &got, raw.data()) != CUDNN_STATUS_SUCCESS)
      continue;
    for (int64_t i = 0; i < got && plans.size() < 24; ++i) {
      Backend plan(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR);
      plan.set(CUDNN_ATTR_EXECUTION_PLAN_HANDLE, CUDNN_TYPE_HANDLE, 1, &h);
      plan.set(CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &raw[i]);
      if (plan.finalize() != CUDNN_STATUS_SUCCESS) continue;
      int64_t wsz = 0, n_ws = 0;
      cudnnBackendGetAttribute(plan.d, CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE, CUDNN_TYPE_INT64, 1, &n_ws, &wsz);
      if (wsz > int64_t(1) << 30) continue;
      plans.push_back(std::move(plan));
      workspaces.push_back(wsz);
    }
  }
  if (plans.empty()) throw std::runtime_error("no cuDNN engine finalized for this convolution");
  int64_t max_ws = *std::max_element(workspaces.begin(), workspaces.end());
  ws.need(std::size_t(std::max<int64_t>(max_ws, 1)));
  void* ptrs[3] = {x, w, y};
  int64_t uids[3] = {1, 2, 3};
  Backend pack(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR);
  pack.set(CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS, CUDNN_TYPE_VOID_PTR, 3, ptrs);
  pack.set(CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, CUDNN_TYPE_INT64, 3, uids);
  pack.set(CUDNN_ATTR_VARIANT_PACK_WORKSPACE, CUDNN_TYPE_VOID_PTR, 1, &ws.d);
  ck(pack.finalize(), "variant pack finalize");
  // Autotune: every candidate timed, the fastest kept.
  double best = 1e30;
  std::size_t best_i = 0;
  for (std::size_t i = 0; i < plans.size(); ++i) {
    if (cudnnBackendExecute(h, plans[i].d, pack.d) != CUDNN_STATUS_SUCCESS) continue;
    double ms = gv::median_ms([&] { cudnnBackendExecute(h, plans[i].d, pack.d); }, 5);
    if (ms < best) {
      best = ms;
      best_i = i;
    }
  }
  if (best >= 1e30) throw std::runtime_error("no candidate engine ran");
  char buf[64];
  std::snprintf(buf, sizeof buf, "graph engine candidate %zu of %zu", best_i, plans.size());
  *engine = buf;
  cudaMemset(y, 0xff, std::size_t(N) * K * H * W * 2);  // poison before the checked run
  ck(cudnnBackendExecute(h, plans[best_i].d, pack.d), "cudnnBackendExecute");
  GV_CUDA(cudaDeviceSynchronize());
  // 20 samples of 50 back-to-back executions each: bench/conv_vs_torch.py times PyTorch the same way.
  return gv::median_ms([&] { cudnnBackendExecute(h, plans[best_i].d, pack.d); }, 20, 50);
}
#endif

void forward(cudnnHandle_t h, const Shape& s, bool half, Workspace& ws, bool check, const std::string& name) {
  Conv cv(h, s, half);
  auto X = gv::random_floats(s.x(), 11), W = gv::random_floats(s.wt(), 12);
  std::vector<float> Y(s.y(), 0.f);
  Buf x(X, half), w(W, half), y(Y, half);
#if CUDNN_MAJOR >= 9
  if (half && name.find("nhwc") != std::string::npos) {
    std::string engine;
    double ms = graph_forward(h, s, x.d, w.d, y.d, ws, &engine);
    report(name, check ? forward_error(cv, s, X, W, y.get()) : 0.0, 2e-2, engine, ms, s);
    return;
  }
#endif
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
  double worst = check ? forward_error(cv, s, X, W, y.get()) : 0.0;
  double ms = gv::median_ms(run);
  report(name, worst, half ? 2e-2 : 1e-4, std::to_string(best->algo), ms, s);
}

void backward(cudnnHandle_t h, const Shape& s, Workspace& ws, bool half) {
  Conv cv(h, s, half);
  auto X = gv::random_floats(s.x(), 21), W = gv::random_floats(s.wt(), 22), DY = gv::random_floats(s.y(), 23);
  std::vector<float> DX(s.x()), DW(s.wt());
  Buf x(X, half), w(W, half), dy(DY, half), dx(DX, half), dw(DW, half);
  // Filters are KCRS in NCHW and KRSC in NHWC.
  auto widx = [&](int k, int c, int r, int u) {
    return cv.nhwc ? ((std::size_t(k) * s.r + r) * s.r + u) * s.c + c : ((std::size_t(k) * s.c + c) * s.r + r) * s.r + u;
  };
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
          want += double(DY[cv.at(n, k, p, q, s.k, s.h, s.w)]) * W[widx(k, c, r, u)];
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
    wf = std::max(wf, gv::rel_err(gdw[widx(k, c2, r, u)], wantf, 1.0));
  }
  std::string t = half ? "fp16" : "fp32";
  double tol = half ? 2e-2 : 1e-4;
  report("cudnn conv bwd data " + t, wd, tol, std::to_string(dalgo), gv::median_ms(bwd_data), s);
  report("cudnn conv bwd filter " + t, wf, tol, std::to_string(falgo), gv::median_ms(bwd_filter), s);
}

}  // namespace

int main() {
  // The large forward shapes (ResNet-like), and every check this workload reports, named once:
  // without a device each of them is listed not-run, none is dropped.
  const std::vector<Shape> large = {Shape{256, 256, 14, 14, 256, 3}, Shape{128, 128, 56, 56, 128, 3},
                                    Shape{64, 64, 224, 224, 64, 3}};
  auto large_name = [](const Shape& s) {
    return "cudnn conv fwd fp16 nhwc " + std::to_string(s.n) + "x" + std::to_string(s.c) + "x" +
           std::to_string(s.h) + "x" + std::to_string(s.w) + " k" + std::to_string(s.k);
  };
  std::vector<std::string> checks = {"cudnn load",                "cudnn conv fwd fp32",
                                     "cudnn conv fwd fp16",       "cudnn conv bwd data fp32",
                                     "cudnn conv bwd filter fp32", "cudnn conv bwd data fp16",
                                     "cudnn conv bwd filter fp16"};
  for (const Shape& s : large) checks.push_back(large_name(s));
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
  guarded("cudnn conv bwd data fp32", [&] { backward(h, small, ws, false); });
  guarded("cudnn conv bwd data fp16", [&] { backward(h, small, ws, true); });
  for (const Shape& s : large) {
    std::string name = large_name(s);
    guarded(name, [&] { forward(h, s, true, ws, true, name); });
  }
  cudnnDestroy(h);
  return 0;
}
