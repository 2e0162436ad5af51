// The single translation unit of the optional Gloo addon (torchlet_gloo.node), built by binding.gyp only where
// Gloo's headers and library are found (scripts/find-gloo.js).
#include "store.cpp"
#include "shm.cpp"
#include "group.cpp"
#include "addon.cpp"
