/* The practical limit for torchlet's matmul: cblas_sgemm (float32) or cblas_dgemm (float64) called from C on the
 * same inputs. A long-lived helper, so the benchmark forks once: each stdin line "<inputs.bin> <n> <warmup> <reps>
 * <s|d>" (A then B, n*n elements each) is answered with one JSON line of per-call times in ms and a checksum of C;
 * the line "clock 0 0 0 s" measures the core clock instead. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* One C = A B of n x n matrices: sgemm on float buffers, dgemm on double ones. */
static void gemm(int dbl, int n, const void* a, const void* b, void* c) {
  if (dbl) cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
  else cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
}

static int run(const char* path, int n, int warmup, int reps, int dbl) {
  const size_t nn = (size_t)n * n, size = dbl ? sizeof(double) : sizeof(float);
  char* a = malloc(nn * size);
  char* b = malloc(nn * size);
  char* c = malloc(nn * size);
  FILE* f = fopen(path, "rb");
  if (!a || !b || !c || !f || fread(a, size, nn, f) != nn || fread(b, size, nn, f) != nn) {
    printf("{\"error\":\"cannot read %s\"}\n", path);
    return 1;
  }
  fclose(f);
  for (int i = 0; i < warmup; ++i) gemm(dbl, n, a, b, c);
  printf("{\"times\":[");
  for (int i = 0; i < reps; ++i) {
    const double t0 = now_ms();
    gemm(dbl, n, a, b, c);
    printf("%s%.6f", i ? "," : "", now_ms() - t0);
  }
  double sum = 0;
  for (size_t i = 0; i < nn; ++i) sum += dbl ? ((double*)c)[i] : ((float*)c)[i];
  printf("],\"checksum\":%.10g}\n", sum);
  fflush(stdout);
  free(a);
  free(b);
  free(c);
  return 0;
}

/* The core clock: a chain of dependent register-to-register adds runs one per cycle on x86-64. (Adds of an
 * immediate do not measure it: Intel cores since Golden Cove fold them at rename, several per cycle.) */
static void clock_ghz(void) {
  unsigned long x = 0, one = 1;
  const long iters = 400000000;
  const double t0 = now_ms();
  for (long i = 0; i < iters; ++i) {
#if defined(__x86_64__)
    __asm__ volatile("add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0" : "+r"(x) : "r"(one));
#else
    x += 4;
#endif
  }
  const double ms = now_ms() - t0;
  printf("{\"ghz\":%.4f,\"check\":%lu}\n", 4.0 * iters / (ms * 1e6), x);
  fflush(stdout);
}

int main(void) {
  char path[4096], type[2];
  int n, warmup, reps;
  while (scanf("%4095s %d %d %d %1s", path, &n, &warmup, &reps, type) == 5) {
    if (strcmp(path, "clock") == 0) clock_ghz();
    else run(path, n, warmup, reps, type[0] == 'd');
  }
  return 0;
}
