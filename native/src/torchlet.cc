// The single translation unit both builds compile (binding.gyp and CMakeLists.txt): the source list lives here.
#include "src/kernels/elementwise.cpp"
#include "src/kernels/reduce.cpp"
#include "src/kernels/blas.cpp"
#include "src/kernels/index.cpp"
#include "src/kernels/rng.cpp"
#include "src/binding/args.cpp"
#include "src/binding/addon.cpp"
