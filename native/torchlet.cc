// The single translation unit both builds compile (binding.gyp and CMakeLists.txt): the source list lives here
// and in kernels.cc.
#include "kernels.cc"
#include "src/binding/args.cpp"
#include "src/binding/memory.cpp"
#include "src/binding/addon.cpp"
