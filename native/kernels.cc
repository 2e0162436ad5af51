// The kernel sources as one translation unit: linked into the addon and into the C++ kernel tests.
#include "src/kernels/elementwise.cpp"
#include "src/kernels/reduce.cpp"
#include "src/kernels/blas.cpp"
#include "src/kernels/index.cpp"
#include "src/kernels/rng.cpp"
#include "src/kernels/optim.cpp"
#include "src/kernels/conv.cpp"
#include "src/kernels/pool.cpp"
