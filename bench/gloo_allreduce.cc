// The baseline of `npm run bench -- distributed`: Gloo's allreduce driven straight from C++, as torchlet drives it
// (gloo::allreduce, float32 sum, TCP on loopback), one process per rank.
//
//   gloo_allreduce RANK SIZE STORE_DIR MAX_BYTES
// then reads requests "BYTES WARMUP REPS" from stdin and answers each with one JSON line: {"times": [ms...]}.
// Built on demand by bench/distributed.js: c++ -O2 -std=c++17 gloo_allreduce.cc -lgloo -pthread.
#include <gloo/allreduce.h>
#include <gloo/math.h>
#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/file_store.h>
#include <gloo/transport/tcp/device.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: gloo_allreduce RANK SIZE STORE_DIR MAX_BYTES\n");
    return 2;
  }
  const int rank = std::atoi(argv[1]);
  const int size = std::atoi(argv[2]);
  const size_t max_elems = std::strtoull(argv[4], nullptr, 10) / sizeof(float);
  try {
    gloo::transport::tcp::attr attr;
    attr.hostname = "127.0.0.1";
    auto dev = gloo::transport::tcp::CreateDevice(attr);
    gloo::rendezvous::FileStore store(argv[3]);
    auto ctx = std::make_shared<gloo::rendezvous::Context>(rank, size);
    ctx->setTimeout(std::chrono::seconds(60));
    ctx->connectFullMesh(store, dev);
    std::vector<float> data(max_elems, 1.0f);
    uint32_t tag = 0;
    size_t bytes = 0;
    int warmup = 0, reps = 0;
    auto once = [&](size_t n) {
      gloo::AllreduceOptions o(ctx);
      o.setTag(++tag);
      o.setOutput(data.data(), n);
      o.setReduceFunction(static_cast<void (*)(void*, const void*, const void*, size_t)>(&gloo::sum<float>));
      gloo::allreduce(o);
    };
    while (std::cin >> bytes >> warmup >> reps) {
      const size_t n = bytes / sizeof(float);
      if (n > max_elems) {
        std::printf("{\"error\": \"request larger than MAX_BYTES\"}\n");
        std::fflush(stdout);
        continue;
      }
      for (int i = 0; i < warmup; ++i) once(n);
      std::string out = "{\"times\": [";
      for (int i = 0; i < reps; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        once(n);
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        out += (i ? ", " : "") + std::to_string(ms);
      }
      std::printf("%s]}\n", out.c_str());
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::printf("{\"error\": \"%s\"}\n", e.what());
    return 1;
  }
  return 0;
}
