// The Node-API surface of torchlet: flat functions over typed arrays and packed layouts.
// lib/backend/native/binding.ts describes the same surface in TypeScript.
#include <napi.h>

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <initializer_list>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "../kernels/kernels.h"
#include "args.h"
#include "memory.h"

extern "C" {
// OpenBLAS extensions to CBLAS (declared in Debian's cblas.h too; repeated for other installs).
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
int openblas_get_num_procs(void);
char* openblas_get_config(void);
char* openblas_get_corename(void);
}

#ifndef TORCHLET_VERSION
#define TORCHLET_VERSION "0.0.0"
#endif

namespace torchlet {
namespace binding {

namespace {

// Reads a View (offset already read) for one operand: `rank` strides from the layout.
View view_of(Meta& meta, int64_t offset, int rank, const char* what) { return View{offset, meta.take(rank, what)}; }

void require_dtype(Napi::Env env, const char* fn, const char* name, const Buffer& b, DType want) {
  if (b.dtype != want) {
    throw_type(env, std::string("torchlet.native.") + fn + ": expected '" + name + "' of dtype " + dtype_name(want) +
                        " but received " + dtype_name(b.dtype));
  }
}

// The operands of a floating-point kernel: the first must be float32 or float64 and the others (null ones are
// skipped) of the same dtype, which is returned.
DType float_operands(Napi::Env env, const char* fn, std::initializer_list<std::pair<const char*, const Buffer*>> ops) {
  const auto& first = *ops.begin();
  if (!is_floating(first.second->dtype)) {
    throw_type(env, std::string("torchlet.native.") + fn + ": expected '" + first.first +
                        "' of dtype float32 or float64 but received " + dtype_name(first.second->dtype));
  }
  for (const auto& op : ops) {
    if (op.second->data) require_dtype(env, fn, op.first, *op.second, first.second->dtype);
  }
  return first.second->dtype;
}

// The product of non-negative sizes, or INT64_MAX when it overflows (larger than any buffer either way).
int64_t product(std::initializer_list<int64_t> sizes) {
  int64_t p = 1;
  for (int64_t s : sizes) {
    if (__builtin_mul_overflow(p, s, &p)) return INT64_MAX;
  }
  return p;
}

Napi::Array names_of(Napi::Env env, const char* const* names) {
  Napi::Array a = Napi::Array::New(env);
  for (uint32_t i = 0; names[i]; ++i) a.Set(i, Napi::String::New(env, names[i]));
  return a;
}

}  // namespace

// Every function the addon exports: X(JS name, Addon method). Each runs inside Guarded.
#define TORCHLET_ADDON_METHODS(X)                                                                       \
  X("binary", Binary) X("unary", Unary) X("where", Where) X("copy", Copy) X("reduce", Reduce)           \
  X("matmul", Matmul) X("gather", Gather) X("scatterAdd", ScatterAdd) X("adamStep", AdamStepFn)         \
  X("conv2d", Conv2d) X("pool2d", Pool2d) X("rngSeed", RngSeed) X("rngUniform", RngUniform)             \
  X("rngNormal", RngNormal) X("rngRandint", RngRandint) X("rngRandperm", RngRandperm)                   \
  X("rngBernoulli", RngBernoulli) X("backendInfo", BackendInfo) X("setNumThreads", SetNumThreads)       \
  X("getNumThreads", GetNumThreads) X("fillRange", FillRange) X("unaryBackward", UnaryBackward)       \
  X("softmax", Softmax) X("softmaxBackward", SoftmaxBackward) X("layerNorm", LayerNorm)                 \
  X("layerNormBackward", LayerNormBackward) X("classLoss", ClassLossFn) X("classLossBackward", ClassLossBackward) \
  X("rnnForward", RnnForward) X("rnnBackward", RnnBackward)                                              \
  X("softmaxHeadMean", SoftmaxHeadMean)                                                                  \
  X("misalignment", Misalignment)

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports) : malloc_(tune_malloc()) {
    // torchlet's own threads start as many as OpenBLAS's (which honours OPENBLAS_NUM_THREADS).
    set_num_threads(openblas_get_num_threads());
    DefineAddon(exports, {
#define TORCHLET_METHOD(name, method) \
  InstanceMethod<&Addon::Guarded<&Addon::method>>(name, napi_default, const_cast<char*>(name)),
        TORCHLET_ADDON_METHODS(TORCHLET_METHOD)
#undef TORCHLET_METHOD
        InstanceValue("opNames", OpNames(env), napi_enumerable),
        InstanceValue("dtypes", DTypes(env), napi_enumerable),
        InstanceValue("rngStateWords", Napi::Number::New(env, kRngStateWords), napi_enumerable),
    });
  }

 private:
  // Runs one exported function and turns whatever C++ exception escapes it into a JS error naming the function
  // (its JS name is the method's data): a kernel's KernelError and a failed allocation become a RangeError, anything
  // else (a thread that could not start, ...) an Error. Without it the exception would reach Node-API's edge and
  // abort the process.
  template <Napi::Value (Addon::*kMethod)(const Napi::CallbackInfo&)>
  Napi::Value Guarded(const Napi::CallbackInfo& info) {
    try {
      return (this->*kMethod)(info);
    } catch (const Napi::Error&) {
      throw;
    } catch (...) {
      throw_native_error(info.Env(), static_cast<const char*>(info.Data()));
    }
  }

  // Called inside a catch block: rethrows the exception being handled as a JS error.
  [[noreturn]] static void throw_native_error(Napi::Env env, const char* name) {
    const std::string fn = std::string("torchlet.native.") + name + ": ";
    try {
      throw;
    } catch (const KernelError& e) {
      throw_range(env, fn + e.what());
    } catch (const std::bad_alloc&) {
      throw_range(env, fn + "out of memory: a native allocation failed (std::bad_alloc)");
    } catch (const std::length_error& e) {
      throw_range(env, fn + "out of memory: a native allocation is too large (" + e.what() + ")");
    } catch (const std::system_error& e) {
      throw Napi::Error::New(env, fn + "a system resource could not be had (" + e.what() + ")");
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, fn + "native error (" + e.what() + ")");
    } catch (...) {
      throw Napi::Error::New(env, fn + "unknown native error");
    }
  }

  static Napi::Object OpNames(Napi::Env env) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("binary", names_of(env, kBinaryOpNames));
    o.Set("unary", names_of(env, kUnaryOpNames));
    o.Set("reduce", names_of(env, kReduceOpNames));
    o.Set("conv", names_of(env, kConvKindNames));
    o.Set("pool", names_of(env, kPoolKindNames));
    o.Set("range", names_of(env, kRangeKindNames));
    o.Set("unaryBackward", names_of(env, kUnaryBackwardNames));
    o.Set("softmax", names_of(env, kSoftmaxKindNames));
    o.Set("rnn", names_of(env, kRnnModeNames));
    return o;
  }

  // [{ name: 'float32', size: 4, code: 0 }, ...]: the dtype table, in code order, for JS to check its own against.
  static Napi::Array DTypes(Napi::Env env) {
    Napi::Array a = Napi::Array::New(env);
    for (int code = 0; code < int(DType::kCount); ++code) {
      Napi::Object d = Napi::Object::New(env);
      d.Set("name", Napi::String::New(env, dtype_name(DType(code))));
      d.Set("size", Napi::Number::New(env, double(dtype_size(DType(code)))));
      d.Set("code", Napi::Number::New(env, code));
      a.Set(uint32_t(code), d);
    }
    return a;
  }

  // binary(op, out, a, b, layout, alpha?): layout = [rank, offOut, offA, offB, ...shape, ...sOut, ...sA, ...sB];
  // alpha scales b for add and sub (default 1).
  Napi::Value Binary(const Napi::CallbackInfo& info) {
    const char* fn = "binary";
    Napi::Env env = info.Env();
    const int op = int(int_arg(info, 0, fn, "op", 0, int(BinaryOp::kCount) - 1));
    Buffer out = buffer_arg(info, 1, fn, "out"), a = buffer_arg(info, 2, fn, "a"), b = buffer_arg(info, 3, fn, "b");
    Meta meta(info, 4, fn);
    const double alpha = info.Length() > 5 && !info[5].IsUndefined() ? number_arg(info, 5, fn, "alpha") : 1.0;
    const int rank = meta.rank("rank");
    const int64_t* offs = meta.take(3, "offsets");
    const int64_t* shape = meta.shape(rank, "shape");
    View vo = view_of(meta, offs[0], rank, "strides of out"), va = view_of(meta, offs[1], rank, "strides of a"),
         vb = view_of(meta, offs[2], rank, "strides of b");
    meta.finish();
    if (a.dtype != b.dtype) {
      throw_type(env, std::string("torchlet.native.binary: 'a' and 'b' must share a dtype, received ") +
                          dtype_name(a.dtype) + " and " + dtype_name(b.dtype));
    }
    check_view(env, fn, "out", out.length, rank, shape, vo.strides, vo.offset);
    check_view(env, fn, "a", a.length, rank, shape, va.strides, va.offset);
    check_view(env, fn, "b", b.length, rank, shape, vb.strides, vb.offset);
    FreshResult fresh(take_fresh(out.data));
    if (!binary(BinaryOp(op), out.dtype, out.data, a.dtype, a.data, b.data, rank, shape, vo, va, vb, alpha)) {
      throw_type(env, std::string("torchlet.native.binary: '") + kBinaryOpNames[op] + "' is not defined for " +
                          dtype_name(a.dtype) + " inputs with a " + dtype_name(out.dtype) + " output");
    }
    return env.Undefined();
  }

  // unary(op, out, a, layout, p0, p1): layout = [rank, offOut, offA, ...shape, ...sOut, ...sA]
  Napi::Value Unary(const Napi::CallbackInfo& info) {
    const char* fn = "unary";
    Napi::Env env = info.Env();
    const int op = int(int_arg(info, 0, fn, "op", 0, int(UnaryOp::kCount) - 1));
    Buffer out = buffer_arg(info, 1, fn, "out"), a = buffer_arg(info, 2, fn, "a");
    Meta meta(info, 3, fn);
    const double p0 = number_arg(info, 4, fn, "p0"), p1 = number_arg(info, 5, fn, "p1");
    const int rank = meta.rank("rank");
    const int64_t* offs = meta.take(2, "offsets");
    const int64_t* shape = meta.shape(rank, "shape");
    View vo = view_of(meta, offs[0], rank, "strides of out"), va = view_of(meta, offs[1], rank, "strides of a");
    meta.finish();
    check_view(env, fn, "out", out.length, rank, shape, vo.strides, vo.offset);
    check_view(env, fn, "a", a.length, rank, shape, va.strides, va.offset);
    FreshResult fresh(take_fresh(out.data));
    if (!unary(UnaryOp(op), out.dtype, out.data, a.dtype, a.data, rank, shape, vo, va, p0, p1)) {
      throw_type(env, std::string("torchlet.native.unary: '") + kUnaryOpNames[op] + "' is not defined for a " +
                          dtype_name(a.dtype) + " input with a " + dtype_name(out.dtype) + " output");
    }
    return env.Undefined();
  }

  // unaryBackward(op, out, g, a, layout, p0, p1): layout = [rank, offOut, offG, offA, ...shape, ...3 stride sets]
  Napi::Value UnaryBackward(const Napi::CallbackInfo& info) {
    const char* fn = "unaryBackward";
    Napi::Env env = info.Env();
    const int op = int(int_arg(info, 0, fn, "op", 0, int(VBackward::kCount) - 1));
    Buffer out = buffer_arg(info, 1, fn, "out"), g = buffer_arg(info, 2, fn, "g"), a = buffer_arg(info, 3, fn, "a");
    Meta meta(info, 4, fn);
    const double p0 = number_arg(info, 5, fn, "p0"), p1 = number_arg(info, 6, fn, "p1");
    const int rank = meta.rank("rank");
    const int64_t* offs = meta.take(3, "offsets");
    const int64_t* shape = meta.shape(rank, "shape");
    View vo = view_of(meta, offs[0], rank, "strides of out"), vg = view_of(meta, offs[1], rank, "strides of g"),
         va = view_of(meta, offs[2], rank, "strides of a");
    meta.finish();
    if (out.dtype != g.dtype || out.dtype != a.dtype) {
      throw_type(env, std::string("torchlet.native.unaryBackward: 'out', 'g' and 'a' must share a dtype, received ") +
                          dtype_name(out.dtype) + ", " + dtype_name(g.dtype) + " and " + dtype_name(a.dtype));
    }
    check_view(env, fn, "out", out.length, rank, shape, vo.strides, vo.offset);
    check_view(env, fn, "g", g.length, rank, shape, vg.strides, vg.offset);
    check_view(env, fn, "a", a.length, rank, shape, va.strides, va.offset);
    if (!unary_backward(VBackward(op), out.dtype, out.data, g.data, a.data, rank, shape, vo, vg, va, p0, p1)) {
      throw_type(env, std::string("torchlet.native.unaryBackward: '") + kUnaryBackwardNames[op] +
                          "' is not defined for " + dtype_name(out.dtype) + " operands");
    }
    return env.Undefined();
  }

  // where(out, cond, a, b, layout): layout = [rank, offOut, offCond, offA, offB, ...shape, ...4 stride sets]
  Napi::Value Where(const Napi::CallbackInfo& info) {
    const char* fn = "where";
    Napi::Env env = info.Env();
    Buffer out = buffer_arg(info, 0, fn, "out"), cond = buffer_arg(info, 1, fn, "condition"),
           a = buffer_arg(info, 2, fn, "a"), b = buffer_arg(info, 3, fn, "b");
    Meta meta(info, 4, fn);
    const int rank = meta.rank("rank");
    const int64_t* offs = meta.take(4, "offsets");
    const int64_t* shape = meta.shape(rank, "shape");
    View vo = view_of(meta, offs[0], rank, "strides of out"), vc = view_of(meta, offs[1], rank, "strides of condition"),
         va = view_of(meta, offs[2], rank, "strides of a"), vb = view_of(meta, offs[3], rank, "strides of b");
    meta.finish();
    require_dtype(env, fn, "condition", cond, DType::U8);
    require_dtype(env, fn, "a", a, out.dtype);
    require_dtype(env, fn, "b", b, out.dtype);
    check_view(env, fn, "out", out.length, rank, shape, vo.strides, vo.offset);
    check_view(env, fn, "condition", cond.length, rank, shape, vc.strides, vc.offset);
    check_view(env, fn, "a", a.length, rank, shape, va.strides, va.offset);
    check_view(env, fn, "b", b.length, rank, shape, vb.strides, vb.offset);
    where(out.elem_size, out.data, static_cast<const uint8_t*>(cond.data), a.data, b.data, rank, shape, vo, vc, va, vb);
    return env.Undefined();
  }

  // copy(dst, src, layout): layout = [rank, offDst, offSrc, ...shape, ...sDst, ...sSrc]; converts dtypes.
  Napi::Value Copy(const Napi::CallbackInfo& info) {
    const char* fn = "copy";
    Napi::Env env = info.Env();
    Buffer dst = buffer_arg(info, 0, fn, "dst"), src = buffer_arg(info, 1, fn, "src");
    Meta meta(info, 2, fn);
    const int rank = meta.rank("rank");
    const int64_t* offs = meta.take(2, "offsets");
    const int64_t* shape = meta.shape(rank, "shape");
    View vd = view_of(meta, offs[0], rank, "strides of dst"), vs = view_of(meta, offs[1], rank, "strides of src");
    meta.finish();
    check_view(env, fn, "dst", dst.length, rank, shape, vd.strides, vd.offset);
    check_view(env, fn, "src", src.length, rank, shape, vs.strides, vs.offset);
    FreshResult fresh(take_fresh(dst.data));
    copy(dst.dtype, dst.data, src.dtype, src.data, rank, shape, vd, vs);
    return env.Undefined();
  }

  // reduce(op, out|null, indices|null, a, layout): layout = [rank, offA, ...shape, ...sA, ...reduceMask];
  // out and indices are contiguous over the kept dims.
  Napi::Value Reduce(const Napi::CallbackInfo& info) {
    const char* fn = "reduce";
    Napi::Env env = info.Env();
    const ReduceOp op = ReduceOp(int_arg(info, 0, fn, "op", 0, int(ReduceOp::kCount) - 1));
    Buffer out = buffer_arg(info, 1, fn, "out", true), idx = buffer_arg(info, 2, fn, "indices", true),
           a = buffer_arg(info, 3, fn, "a");
    Meta meta(info, 4, fn);
    const int rank = meta.rank("rank");
    const int64_t offset = meta.next("offset");
    const int64_t* shape = meta.shape(rank, "shape");
    const int64_t* strides = meta.take(rank, "strides");
    const int64_t* mask64 = meta.take(rank, "reduce mask");
    meta.finish();
    check_view(env, fn, "a", a.length, rank, shape, strides, offset);
    uint8_t mask[kMaxRank];
    int64_t kept = 1, reduced = 1;
    for (int d = 0; d < rank; ++d) {
      mask[d] = mask64[d] != 0;
      (mask[d] ? reduced : kept) *= shape[d];
    }
    const bool wants_values = op == ReduceOp::sum || op == ReduceOp::prod || op == ReduceOp::max || op == ReduceOp::min;
    const bool wants_indices = op != ReduceOp::sum && op != ReduceOp::prod;
    if (wants_values) {
      if (!out.data) throw_type(env, "torchlet.native.reduce: 'out' is required for this op");
      if (out.length != size_t(kept)) {
        throw_range(env, "torchlet.native.reduce: 'out' holds " + std::to_string(out.length) + " elements, expected " +
                             std::to_string(kept));
      }
      require_dtype(env, fn, "out", out, a.dtype);
    }
    if (idx.data) {
      require_dtype(env, fn, "indices", idx, DType::I32);
      if (idx.length != size_t(kept)) {
        throw_range(env, "torchlet.native.reduce: 'indices' holds " + std::to_string(idx.length) +
                             " elements, expected " + std::to_string(kept));
      }
    } else if (op == ReduceOp::argmax || op == ReduceOp::argmin) {
      throw_type(env, "torchlet.native.reduce: 'indices' is required for this op");
    }
    if (wants_indices && reduced > int64_t(INT32_MAX) + 1) {
      throw_range(env, std::string("torchlet.native.reduce: '") + kReduceOpNames[int(op)] + "' over " +
                           std::to_string(reduced) + " elements: its int32 indices reach 2^31 at most");
    }
    if (wants_indices && reduced == 0 && kept > 0) {
      throw_range(env, std::string("torchlet.native.reduce: '") + kReduceOpNames[int(op)] +
                           "' of an empty reduction has no identity");
    }
    if (!reduce(op, a.dtype, out.data, static_cast<int32_t*>(idx.data), a.data, rank, shape, View{offset, strides},
                mask)) {
      throw_type(env, std::string("torchlet.native.reduce: '") + kReduceOpNames[int(op)] + "' is not defined for " +
                          dtype_name(a.dtype));
    }
    return env.Undefined();
  }

  // matmul(out, a, b, layout, alpha, beta) -> 0, or a mask of operands that need a contiguous copy first.
  // layout = [batchRank, m, n, k, offA, offB, offOut, aRs, aCs, bRs, bCs, ...batchShape, ...aBatch, ...bBatch]
  Napi::Value Matmul(const Napi::CallbackInfo& info) {
    const char* fn = "matmul";
    Napi::Env env = info.Env();
    Buffer out = buffer_arg(info, 0, fn, "out"), a = buffer_arg(info, 1, fn, "a"), b = buffer_arg(info, 2, fn, "b");
    Meta meta(info, 3, fn);
    const double alpha = number_arg(info, 4, fn, "alpha"), beta = number_arg(info, 5, fn, "beta");
    const DType t = float_operands(env, fn, {{"out", &out}, {"a", &a}, {"b", &b}});
    const int batch_rank = meta.rank("batch rank");
    if (batch_rank > kMaxRank - 2) throw_range(env, "torchlet.native.matmul: batch rank too large");
    const int64_t* mnk = meta.shape(3, "m, n, k");
    const int64_t* offs = meta.take(3, "offsets");
    const int64_t* mat = meta.take(4, "matrix strides");
    const int64_t* batch_shape = meta.shape(batch_rank, "batch shape");
    const int64_t* a_batch = meta.take(batch_rank, "batch strides of a");
    const int64_t* b_batch = meta.take(batch_rank, "batch strides of b");
    meta.finish();
    if (std::max({mnk[0], mnk[1], mnk[2]}) > INT32_MAX) {
      throw_range(env, "torchlet.native.matmul: m, n and k (" + std::to_string(mnk[0]) + ", " + std::to_string(mnk[1]) +
                           ", " + std::to_string(mnk[2]) + ") must be at most 2147483647, the most BLAS takes");
    }
    const int m = int(mnk[0]), n = int(mnk[1]), k = int(mnk[2]);
    // Check each operand as one strided tensor [batch..., rows, cols].
    int64_t shp[kMaxRank], str[kMaxRank];
    auto check = [&](const char* name, size_t length, const int64_t* bstr, int64_t rows, int64_t cols, int64_t rs, int64_t cs,
                     int64_t off) {
      for (int d = 0; d < batch_rank; ++d) {
        shp[d] = batch_shape[d];
        str[d] = bstr[d];
      }
      shp[batch_rank] = rows;
      shp[batch_rank + 1] = cols;
      str[batch_rank] = rs;
      str[batch_rank + 1] = cs;
      check_view(env, fn, name, length, batch_rank + 2, shp, str, off);
    };
    check("a", a.length, a_batch, m, k, mat[0], mat[1], offs[0]);
    check("b", b.length, b_batch, k, n, mat[2], mat[3], offs[1]);
    int64_t batch = 1;
    for (int d = 0; d < batch_rank; ++d) batch *= batch_shape[d];
    int64_t need = 0;
    if (__builtin_mul_overflow(batch, int64_t(m) * n, &need) || offs[2] < 0 || offs[2] > int64_t(out.length) ||
        need > int64_t(out.length) - offs[2]) {
      throw_range(env, "torchlet.native.matmul: 'out' is too small for the product");
    }
    const int bad = gemm_batched(t, batch_rank, batch_shape, m, n, k, alpha, a.data,
                                 MatrixView{offs[0], mat[0], mat[1], a_batch}, b.data,
                                 MatrixView{offs[1], mat[2], mat[3], b_batch}, beta, out.data, offs[2]);
    return Napi::Number::New(env, bad);
  }

  // gather / scatterAdd(out, src, index, layout, dim):
  // layout = [rank, offOut, offSrc, offIndex, ...indexShape, ...sOut, ...sSrc, ...sIndex, indexedDimSize]
  struct IndexArgs {
    Buffer out, src, index;
    int rank, dim;
    const int64_t* shape;
    View vo, vs, vi;
    int64_t dim_size;
  };
  // The shape and strides point into `meta`, which the caller keeps alive while it uses them.
  IndexArgs index_args(const Napi::CallbackInfo& info, Meta& meta, const char* fn, bool indexed_is_out) {
    Napi::Env env = info.Env();
    IndexArgs r;
    r.out = buffer_arg(info, 0, fn, "out");
    r.src = buffer_arg(info, 1, fn, "src");
    r.index = buffer_arg(info, 2, fn, "index");
    r.rank = meta.rank("rank");
    r.dim = int(int_arg(info, 4, fn, "dim", 0, r.rank > 0 ? r.rank - 1 : 0));
    const int64_t* offs = meta.take(3, "offsets");
    r.shape = meta.shape(r.rank, "shape");
    r.vo = view_of(meta, offs[0], r.rank, "strides of out");
    r.vs = view_of(meta, offs[1], r.rank, "strides of src");
    r.vi = view_of(meta, offs[2], r.rank, "strides of index");
    r.dim_size = meta.next("indexed dim size");
    meta.finish();
    if (r.rank == 0) throw_range(env, std::string("torchlet.native.") + fn + ": rank must be at least 1");
    if (r.dim_size < 0) throw_range(env, std::string("torchlet.native.") + fn + ": negative indexed dim size");
    require_dtype(env, fn, "index", r.index, DType::I32);
    require_dtype(env, fn, "src", r.src, r.out.dtype);
    int64_t indexed_shape[kMaxRank];
    for (int d = 0; d < r.rank; ++d) indexed_shape[d] = d == r.dim ? r.dim_size : r.shape[d];
    const bool any = r.dim_size > 0;
    check_view(env, fn, "index", r.index.length, r.rank, r.shape, r.vi.strides, r.vi.offset);
    if (indexed_is_out) {
      check_view(env, fn, "src", r.src.length, r.rank, r.shape, r.vs.strides, r.vs.offset);
      if (any) check_view(env, fn, "out", r.out.length, r.rank, indexed_shape, r.vo.strides, r.vo.offset);
    } else {
      check_view(env, fn, "out", r.out.length, r.rank, r.shape, r.vo.strides, r.vo.offset);
      if (any) check_view(env, fn, "src", r.src.length, r.rank, indexed_shape, r.vs.strides, r.vs.offset);
    }
    return r;
  }

  static void throw_bad_index(Napi::Env env, const char* fn, int64_t at, int32_t value, int dim, int64_t size) {
    if (at < 0) return;
    throw_range(env, std::string("torchlet.native.") + fn + ": index " + std::to_string(value) +
                         " is out of bounds for dimension " + std::to_string(dim) + " with size " +
                         std::to_string(size));
  }

  Napi::Value Gather(const Napi::CallbackInfo& info) {
    Meta meta(info, 3, "gather");
    IndexArgs r = index_args(info, meta, "gather", false);
    int32_t bad = 0;
    const int64_t at = gather(r.out.elem_size, r.out.data, r.src.data, static_cast<const int32_t*>(r.index.data),
                              r.rank, r.shape, r.vo, r.vs, r.vi, r.dim, r.dim_size, &bad);
    throw_bad_index(info.Env(), "gather", at, bad, r.dim, r.dim_size);
    return info.Env().Undefined();
  }

  Napi::Value ScatterAdd(const Napi::CallbackInfo& info) {
    Meta meta(info, 3, "scatterAdd");
    IndexArgs r = index_args(info, meta, "scatterAdd", true);
    if (r.out.dtype == DType::U8) throw_type(info.Env(), "torchlet.native.scatterAdd: bool tensors cannot be added");
    int32_t bad = 0;
    const int64_t at = scatter_add(r.out.dtype, r.out.data, r.src.data, static_cast<const int32_t*>(r.index.data),
                                   r.rank, r.shape, r.vo, r.vs, r.vi, r.dim, r.dim_size, &bad);
    throw_bad_index(info.Env(), "scatterAdd", at, bad, r.dim, r.dim_size);
    return info.Env().Undefined();
  }

  // adamStep(p, g, m, v, vmax|null, n, lr, beta1, beta2, eps, weightDecay, step, flags): flags bit 0 amsgrad,
  // bit 1 maximize, bit 2 decoupled (AdamW). Every array must hold n elements of one floating dtype.
  Napi::Value AdamStepFn(const Napi::CallbackInfo& info) {
    const char* fn = "adamStep";
    Napi::Env env = info.Env();
    Buffer bufs[4] = {buffer_arg(info, 0, fn, "p"), buffer_arg(info, 1, fn, "g"), buffer_arg(info, 2, fn, "m"),
                      buffer_arg(info, 3, fn, "v")};
    Buffer vmax = buffer_arg(info, 4, fn, "vmax", true);
    const int64_t n = int_arg(info, 5, fn, "n", 0, INT64_C(1) << 53);
    const char* names[4] = {"p", "g", "m", "v"};
    const DType t = float_operands(env, fn, {{"p", &bufs[0]}, {"g", &bufs[1]}, {"m", &bufs[2]}, {"v", &bufs[3]}});
    for (int k = 0; k < 4; ++k) {
      if (bufs[k].length < size_t(n)) throw_range(env, std::string("torchlet.native.adamStep: '") + names[k] + "' holds fewer than n elements");
    }
    AdamStep s;
    s.lr = number_arg(info, 6, fn, "lr");
    s.beta1 = number_arg(info, 7, fn, "beta1");
    s.beta2 = number_arg(info, 8, fn, "beta2");
    s.eps = number_arg(info, 9, fn, "eps");
    s.weight_decay = number_arg(info, 10, fn, "weightDecay");
    s.step = int_arg(info, 11, fn, "step", 1, INT64_C(1) << 53);
    const int64_t flags = int_arg(info, 12, fn, "flags", 0, 7);
    s.amsgrad = flags & 1;
    s.maximize = flags & 2;
    s.decoupled = flags & 4;
    if (s.amsgrad) {
      if (!vmax.data) throw_type(env, "torchlet.native.adamStep: 'vmax' is required with amsgrad");
      require_dtype(env, fn, "vmax", vmax, t);
      if (vmax.length < size_t(n)) throw_range(env, "torchlet.native.adamStep: 'vmax' holds fewer than n elements");
    }
    adam_step(t, bufs[0].data, bufs[1].data, bufs[2].data, bufs[3].data, s.amsgrad ? vmax.data : nullptr, n, s);
    return env.Undefined();
  }

  // conv2d(kind, a, b, out, geometry, bias?): kind (opNames.conv) 0 forward (x, w -> y, plus bias [oc] when given),
  // 1 input gradient (gy, w -> gx), 2 weight gradient (x, gy -> gw); every operand float32, or every one float64.
  // geometry = [n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh, ow]. The scratch belongs to this addon
  // instance (one per JS context) and is reused.
  Napi::Value Conv2d(const Napi::CallbackInfo& info) {
    const char* fn = "conv2d";
    Napi::Env env = info.Env();
    const int kind = int(int_arg(info, 0, fn, "kind", 0, int(ConvKind::kCount) - 1));
    Buffer a = buffer_arg(info, 1, fn, "a"), b = buffer_arg(info, 2, fn, "b"), out = buffer_arg(info, 3, fn, "out");
    Meta meta(info, 4, fn);
    static const char* const kNames[16] = {"n", "c", "h", "w", "oc", "kh", "kw", "sh", "sw", "ph", "pw", "dh", "dw",
                                           "groups", "oh", "ow"};
    const int64_t* v = meta.bounded(16, kNames, 0, INT32_MAX);
    meta.finish();
    // The kernels index the padded input in int: h + 2 * ph must fit (the other sums are smaller).
    if (v[2] + 2 * v[9] > INT32_MAX || v[3] + 2 * v[10] > INT32_MAX) {
      throw_range(env, "torchlet.native.conv2d: the padded input (" + std::to_string(v[2] + 2 * v[9]) + " x " +
                           std::to_string(v[3] + 2 * v[10]) + ") exceeds 2147483647 rows or columns");
    }
    const auto i32 = [&](int i) { return int(v[i]); };
    ConvGeometry g{i32(0), i32(1), i32(2), i32(3), i32(4), i32(5), i32(6), i32(7), i32(8), i32(9), i32(10), i32(11),
                   i32(12), i32(13), i32(14), i32(15)};
    if (g.c < 1 || g.oc < 1 || g.kh < 1 || g.kw < 1 || g.sh < 1 || g.sw < 1 || g.dh < 1 || g.dw < 1 || g.groups < 1) {
      throw_range(env, "torchlet.native.conv2d: channels, kernel, stride, dilation and groups must be positive");
    }
    if (g.c % g.groups || g.oc % g.groups) throw_range(env, "torchlet.native.conv2d: groups must divide both channel counts");
    const int64_t eh = int64_t(g.h) + 2 * g.ph - int64_t(g.dh) * (g.kh - 1) - 1;
    const int64_t ew = int64_t(g.w) + 2 * g.pw - int64_t(g.dw) * (g.kw - 1) - 1;
    if (eh < 0 || ew < 0 || eh / g.sh + 1 != g.oh || ew / g.sw + 1 != g.ow) {
      throw_range(env, "torchlet.native.conv2d: output size does not follow from input, kernel, stride, padding and dilation");
    }
    const int64_t k = int64_t(g.c / g.groups) * g.kh * g.kw, l = int64_t(g.oh) * g.ow;
    if (k > INT32_MAX || l > INT32_MAX) throw_range(env, "torchlet.native.conv2d: problem too large");
    const int64_t nx = product({g.n, g.c, g.h, g.w}), nw = product({g.oc, k}), ny = product({g.n, g.oc, l});
    const int64_t sizes[3][3] = {{nx, nw, ny}, {ny, nw, nx}, {nx, ny, nw}};
    const char* names[3][3] = {{"x", "weight", "y"}, {"grad_output", "weight", "grad_input"}, {"x", "grad_output", "grad_weight"}};
    const Buffer* bufs[3] = {&a, &b, &out};
    const DType t = float_operands(env, fn, {{names[kind][0], &a}, {names[kind][1], &b}, {names[kind][2], &out}});
    for (int i = 0; i < 3; ++i) {
      if (int64_t(bufs[i]->length) < sizes[kind][i]) {
        throw_range(env, std::string("torchlet.native.conv2d: '") + names[kind][i] + "' holds " +
                             std::to_string(bufs[i]->length) + " elements, the geometry needs " + std::to_string(sizes[kind][i]));
      }
    }
    const int threads = get_num_threads();
    Buffer bias = info.Length() > 5 ? buffer_arg(info, 5, fn, "bias", true) : Buffer{};
    if (bias.data) {
      if (ConvKind(kind) != ConvKind::forward) {
        throw_type(env, "torchlet.native.conv2d: 'bias' is only taken by the forward kernel (kind 0)");
      }
      require_dtype(env, fn, "bias", bias, t);
      if (int64_t(bias.length) < g.oc) {
        throw_range(env, "torchlet.native.conv2d: 'bias' holds " + std::to_string(bias.length) + " elements, the geometry needs " +
                             std::to_string(g.oc));
      }
    }
    const int64_t need = conv2d_workspace(t, g, threads);
    if (need > int64_t(1) << 31) throw_range(env, "torchlet.native.conv2d: problem too large");
    Scratch scratch(workspace_, size_t(need) * dtype_size(t), env, fn);
    conv2d(ConvKind(kind), t, a.data, b.data, bias.data, out.data, g, threads, scratch.data());
    return env.Undefined();
  }

  // ---- fused recurrent layers ----------------------------------------------------------------------------------
  // The geometry of rnnForward / rnnBackward: layout [mode, steps, batch, hidden, out, reverse, proj] (mode a code
  // from opNames.rnn) and the batch sizes (Int32Array, one per step, non-increasing, each in [1, batch]: a padded
  // batch has them all equal). Returns the geometry and the number of packed rows.
  std::pair<RnnGeometry, int64_t> RnnArgs(const Napi::CallbackInfo& info, const char* fn, const Buffer& sizes) {
    Napi::Env env = info.Env();
    Meta meta(info, 1, fn);
    static const char* const kNames[7] = {"mode", "steps", "batch", "hidden", "out", "reverse", "proj"};
    const int64_t* v = meta.bounded(7, kNames, 0, INT32_MAX);
    meta.finish();
    if (v[0] >= int(RnnMode::kCount) || v[5] > 1 || v[6] > 1) throw_range(env, std::string("torchlet.native.") + fn + ": mode, reverse or proj out of range");
    RnnGeometry g{RnnMode(v[0]), int(v[1]), int(v[2]), int(v[3]), int(v[4]), 0, v[5] == 1, v[6] == 1};
    const bool lstm = g.mode == RnnMode::lstm;
    if (g.proj && !lstm) throw_range(env, std::string("torchlet.native.") + fn + ": only the LSTM has a projection");
    if (!g.proj && g.out != g.hidden) throw_range(env, std::string("torchlet.native.") + fn + ": 'out' must equal 'hidden' without a projection");
    const int64_t gates = int64_t(g.hidden) * (lstm ? 4 : g.mode == RnnMode::gru ? 3 : 1);
    if (gates > INT32_MAX / 4) throw_range(env, std::string("torchlet.native.") + fn + ": hidden size too large");
    g.gates = int(gates);
    if (sizes.dtype != DType::I32) throw_type(env, std::string("torchlet.native.") + fn + ": expected an Int32Array for 'batchSizes'");
    if (int64_t(sizes.length) != g.steps) throw_range(env, std::string("torchlet.native.") + fn + ": 'batchSizes' must hold one entry per step");
    const int32_t* bs = static_cast<const int32_t*>(sizes.data);
    int64_t rows = 0;
    for (int t = 0; t < g.steps; ++t) {
      if (bs[t] < 1 || bs[t] > g.batch || (t > 0 && bs[t] > bs[t - 1])) {
        throw_range(env, std::string("torchlet.native.") + fn + ": batch sizes must be non-increasing and in [1, batch]");
      }
      rows += bs[t];
    }
    if (rows > INT32_MAX) throw_range(env, std::string("torchlet.native.") + fn + ": too many packed rows");
    return {g, rows};
  }

  // Checks that a buffer (null allowed only when `need` is 0 or `optional`) has dtype t and at least `need` elements.
  static void RnnBuffer(Napi::Env env, const char* fn, const char* name, const Buffer& b, DType t, int64_t need, bool optional = false) {
    if (!b.data) {
      if (need == 0 || optional) return;
      throw_type(env, std::string("torchlet.native.") + fn + ": '" + name + "' is required");
    }
    require_dtype(env, fn, name, b, t);
    if (int64_t(b.length) < need) {
      throw_range(env, std::string("torchlet.native.") + fn + ": '" + name + "' holds " + std::to_string(b.length) +
                           " elements, the geometry needs " + std::to_string(need));
    }
  }

  // rnnForward(batchSizes, layout, xw, h0, c0|null, wHh, bHh|null, wHr|null, out, hN, cN|null, saved): see
  // rnn_forward in kernels.h; saved holds rnn_saved_size elements.
  Napi::Value RnnForward(const Napi::CallbackInfo& info) {
    const char* fn = "rnnForward";
    Napi::Env env = info.Env();
    const Buffer sizes = buffer_arg(info, 0, fn, "batchSizes");
    const auto [g, rows] = RnnArgs(info, fn, sizes);
    const char* names[10] = {"xw", "h0", "c0", "wHh", "bHh", "wHr", "out", "hN", "cN", "saved"};
    Buffer b[10];
    for (int i = 0; i < 10; ++i) b[i] = buffer_arg(info, size_t(i) + 2, fn, names[i], true);
    const bool lstm = g.mode == RnnMode::lstm;
    const int64_t H = g.hidden, P = g.out, G = g.gates, B = g.batch;
    if (!b[0].data || !is_floating(b[0].dtype)) throw_type(env, "torchlet.native.rnnForward: 'xw' must be a Float32Array or Float64Array");
    const DType t = b[0].dtype;
    const int64_t need[10] = {rows * G, B * P, lstm ? B * H : 0, G * P, G, g.proj ? P * H : 0, rows * P, B * P,
                              lstm ? B * H : 0, rnn_saved_size(g, rows)};
    for (int i = 0; i < 10; ++i) RnnBuffer(env, fn, names[i], b[i], t, need[i], i == 4);
    rnn_forward(t, g, static_cast<const int32_t*>(sizes.data), b[0].data, b[1].data, b[2].data, b[3].data, b[4].data,
                b[5].data, b[6].data, b[7].data, b[8].data, b[9].data);
    return env.Undefined();
  }

  // rnnBackward(batchSizes, layout, wHh, wHr|null, out, saved, gOut|null, gHN|null, gCN|null, dXw, dH0, dC0|null,
  // dWHh, dBHh|null, dWHr|null): see rnn_backward in kernels.h.
  Napi::Value RnnBackward(const Napi::CallbackInfo& info) {
    const char* fn = "rnnBackward";
    Napi::Env env = info.Env();
    const Buffer sizes = buffer_arg(info, 0, fn, "batchSizes");
    const auto [g, rows] = RnnArgs(info, fn, sizes);
    const char* names[13] = {"wHh", "wHr", "out", "saved", "gOut", "gHN", "gCN", "dXw", "dH0", "dC0", "dWHh", "dBHh", "dWHr"};
    Buffer b[13];
    for (int i = 0; i < 13; ++i) b[i] = buffer_arg(info, size_t(i) + 2, fn, names[i], true);
    const bool lstm = g.mode == RnnMode::lstm;
    const int64_t H = g.hidden, P = g.out, G = g.gates, B = g.batch;
    if (!b[0].data || !is_floating(b[0].dtype)) throw_type(env, "torchlet.native.rnnBackward: 'wHh' must be a Float32Array or Float64Array");
    const DType t = b[0].dtype;
    const int64_t need[13] = {G * P, g.proj ? P * H : 0, rows * P, rnn_saved_size(g, rows), rows * P, B * P,
                              lstm ? B * H : 0, rows * G, B * P, lstm ? B * H : 0, G * P, G, g.proj ? P * H : 0};
    // The output gradients may be null (zero); so may the bias gradient (no bias).
    const bool optional[13] = {false, false, false, false, true, true, true, false, false, false, false, true, false};
    for (int i = 0; i < 13; ++i) RnnBuffer(env, fn, names[i], b[i], t, need[i], optional[i]);
    rnn_backward(t, g, static_cast<const int32_t*>(sizes.data), b[0].data, b[1].data, b[2].data, b[3].data, b[4].data,
                 b[5].data, b[6].data, b[7].data, b[8].data, b[9].data, b[10].data, b[11].data, b[12].data);
    return env.Undefined();
  }

  // pool2d(kind, a, out, indices|null, geometry): kind (opNames.pool) 0 max (indices out), 1 average, 2 average
  // backward (a = grad_output, out = grad_input), 3 adaptive average, 4 adaptive max (indices out), 5 adaptive
  // average backward, 6 max or adaptive max backward (indices in); a and out both float32 or both float64.
  // geometry = [planes, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw, countIncludePad, divisorOverride].
  Napi::Value Pool2d(const Napi::CallbackInfo& info) {
    const char* fn = "pool2d";
    Napi::Env env = info.Env();
    const PoolKind kind = PoolKind(int_arg(info, 0, fn, "kind", 0, int(PoolKind::kCount) - 1));
    Buffer a = buffer_arg(info, 1, fn, "a"), out = buffer_arg(info, 2, fn, "out"), idx = buffer_arg(info, 3, fn, "indices", true);
    Meta meta(info, 4, fn);
    static const char* const kNames[15] = {"planes", "h", "w", "oh", "ow", "kh", "kw", "sh", "sw", "ph", "pw", "dh",
                                           "dw", "countIncludePad", "divisorOverride"};
    const int64_t planes = meta.bounded(1, kNames, 0, INT64_C(1) << 53)[0];
    const int64_t* v = meta.bounded(12, kNames + 1, 0, INT32_MAX) - 1;  // v[i] is geometry value i
    const int64_t* avg = meta.bounded(2, kNames + 13, 0, INT64_C(1) << 53);
    meta.finish();
    // Window starts and ends are computed in int: the last window's reach must fit.
    for (int axis = 0; axis < 2; ++axis) {
      const int64_t reach = (v[3 + axis] - 1) * v[7 + axis] + (v[5 + axis] - 1) * v[11 + axis] + 1;
      if (std::max(reach, v[1 + axis] + v[9 + axis]) > INT32_MAX) {
        throw_range(env, std::string("torchlet.native.pool2d: the windows along ") + (axis ? "w" : "h") +
                             " reach past 2147483647 (" + std::to_string(reach) + ")");
      }
    }
    const auto i32 = [&](int i) { return int(v[i]); };
    PoolGeometry g{planes, i32(1), i32(2), i32(3), i32(4), i32(5), i32(6), i32(7), i32(8), i32(9), i32(10), i32(11),
                   i32(12), int(avg[0] != 0), avg[1]};
    const bool adaptive = kind == PoolKind::adaptive_avg || kind == PoolKind::adaptive_max ||
                          kind == PoolKind::adaptive_avg_backward;
    const bool max_backward = kind == PoolKind::max_backward;
    if (max_backward || adaptive ? (g.oh < 1 || g.ow < 1) : (g.kh < 1 || g.kw < 1 || g.sh < 1 || g.sw < 1 || g.dh < 1 || g.dw < 1)) {
      throw_range(env, "torchlet.native.pool2d: kernel, stride, dilation and output sizes must be positive");
    }
    if (!adaptive && !max_backward && (2 * g.ph > g.kh || 2 * g.pw > g.kw)) {
      throw_range(env, "torchlet.native.pool2d: pad should be at most half of kernel size");
    }
    const int64_t in = product({g.planes, g.h, g.w}), on = product({g.planes, g.oh, g.ow});
    const bool backward = kind == PoolKind::avg_backward || kind == PoolKind::adaptive_avg_backward || max_backward;
    float_operands(env, fn, {{"a", &a}, {"out", &out}});
    if (int64_t(a.length) < (backward ? on : in) || int64_t(out.length) < (backward ? in : on)) {
      throw_range(env, "torchlet.native.pool2d: a buffer is smaller than the geometry needs");
    }
    const bool wants_idx = kind == PoolKind::max || kind == PoolKind::adaptive_max || max_backward;
    if (wants_idx && int64_t(g.h) * g.w > int64_t(INT32_MAX) + 1) {
      throw_range(env, "torchlet.native.pool2d: planes of " + std::to_string(int64_t(g.h) * g.w) +
                           " elements: max pooling's int32 indices reach 2^31 at most");
    }
    if (wants_idx) {
      if (!idx.data) throw_type(env, "torchlet.native.pool2d: 'indices' is required for max pooling");
      require_dtype(env, fn, "indices", idx, DType::I32);
      if (int64_t(idx.length) < on) throw_range(env, "torchlet.native.pool2d: 'indices' is smaller than the output");
    }
    if (!pool2d(kind, a.dtype, a.data, out.data, wants_idx ? static_cast<int32_t*>(idx.data) : nullptr, g)) {
      throw_range(env, "torchlet.native.pool2d: an index lies outside its plane");
    }
    return env.Undefined();
  }

  // fillRange(kind, out, n, a, b): kind (opNames.range) 0 arange (a = start, b = step), 1 linspace (from a to b);
  // fills out[0, n), a Float32Array, Float64Array or Int32Array. For int32, every value must truncate into int32
  // (so be finite).
  Napi::Value FillRange(const Napi::CallbackInfo& info) {
    const char* fn = "fillRange";
    Napi::Env env = info.Env();
    const RangeKind kind = RangeKind(int_arg(info, 0, fn, "kind", 0, int(RangeKind::kCount) - 1));
    Buffer out = buffer_arg(info, 1, fn, "out");
    const int64_t n = int_arg(info, 2, fn, "n", 0, int64_t(out.length));
    const double a = number_arg(info, 3, fn, "a"), b = number_arg(info, 4, fn, "b");
    if (out.dtype == DType::I32 && n > 0) {
      // linspace's values lie between its ends rounded to float32 (its step's precision); arange's between its first
      // and last.
      const bool lin = kind == RangeKind::linspace;
      const double first = lin ? double(float(a)) : a, last = lin ? double(float(b)) : a + double(n - 1) * b;
      if (!(std::min(first, last) > -2147483649.0 && std::max(first, last) < 2147483648.0)) {
        throw_range(env, "torchlet.native.fillRange: values from " + std::to_string(first) + " to " +
                             std::to_string(last) + " do not fit in int32");
      }
    }
    if (!fill_range(kind, out.dtype, out.data, n, a, b)) {
      throw_type(env, std::string("torchlet.native.fillRange: '") + kRangeKindNames[int(kind)] +
                          "' is not defined for " + dtype_name(out.dtype));
    }
    return env.Undefined();
  }

  // ---- fused kernels (fused.cpp) ----

  // Checks that a buffer holds at least `count` elements.
  static void need(Napi::Env env, const char* fn, const char* name, const Buffer& b, int64_t count) {
    if (b.data && int64_t(b.length) < count) {
      throw_range(env, std::string("torchlet.native.") + fn + ": '" + name + "' holds " + std::to_string(b.length) +
                           " elements, expected " + std::to_string(count));
    }
  }
  // Sizes [first, first + k) of a fused call: integers in [0, 2^53] whose product is at most 2^53.
  static int64_t size_args(const Napi::CallbackInfo& info, size_t first, const char* fn, const char* const* names,
                           int k, int64_t* out) {
    int64_t total = 1;
    for (int i = 0; i < k; ++i) {
      out[i] = int_arg(info, first + size_t(i), fn, names[i], 0, INT64_C(1) << 53);
      if (__builtin_mul_overflow(total, out[i], &total) || total > (INT64_C(1) << 53)) {
        throw_range(info.Env(), std::string("torchlet.native.") + fn + ": the sizes' product exceeds 2^53");
      }
    }
    return total;
  }

  // softmax(kind, x, out, outer, n, inner): kind from opNames.softmax; x [outer, n, inner] contiguous, out the same
  // (logsumexp: [outer, inner]).
  Napi::Value Softmax(const Napi::CallbackInfo& info) {
    const char* fn = "softmax";
    Napi::Env env = info.Env();
    const SoftmaxKind kind = SoftmaxKind(int_arg(info, 0, fn, "kind", 0, int(SoftmaxKind::kCount) - 1));
    Buffer x = buffer_arg(info, 1, fn, "x"), out = buffer_arg(info, 2, fn, "out");
    static const char* const kNames[] = {"outer", "n", "inner"};
    int64_t s[3];
    const int64_t total = size_args(info, 3, fn, kNames, 3, s);
    const DType t = float_operands(env, fn, {{"x", &x}, {"out", &out}});
    need(env, fn, "x", x, total);
    need(env, fn, "out", out, kind == SoftmaxKind::logsumexp ? s[0] * s[2] : total);
    softmax_forward(kind, t, x.data, out.data, s[0], s[1], s[2]);
    return env.Undefined();
  }

  // softmaxBackward(kind, g, y, r|null, gx, outer, n, inner): see softmax_backward in kernels.h; for logsumexp g and
  // r hold [outer, inner] and y is the input.
  Napi::Value SoftmaxBackward(const Napi::CallbackInfo& info) {
    const char* fn = "softmaxBackward";
    Napi::Env env = info.Env();
    const SoftmaxKind kind = SoftmaxKind(int_arg(info, 0, fn, "kind", 0, int(SoftmaxKind::kCount) - 1));
    const bool lse = kind == SoftmaxKind::logsumexp;
    Buffer g = buffer_arg(info, 1, fn, "g"), y = buffer_arg(info, 2, fn, "y"), r = buffer_arg(info, 3, fn, "r", !lse),
           gx = buffer_arg(info, 4, fn, "gx");
    static const char* const kNames[] = {"outer", "n", "inner"};
    int64_t s[3];
    const int64_t total = size_args(info, 5, fn, kNames, 3, s);
    const DType t = float_operands(env, fn, {{"g", &g}, {"y", &y}, {"r", &r}, {"gx", &gx}});
    need(env, fn, "g", g, lse ? s[0] * s[2] : total);
    need(env, fn, "y", y, total);
    need(env, fn, "r", r, s[0] * s[2]);
    need(env, fn, "gx", gx, total);
    softmax_backward(kind, t, g.data, y.data, lse ? r.data : nullptr, gx.data, s[0], s[1], s[2]);
    return env.Undefined();
  }

  // softmaxHeadMean(x, mean, batch, heads, rows, n): x [batch, heads, rows, n] normalised in place over its last dim,
  // mean [batch, rows, n] (another buffer) its mean over the heads; see softmax_head_mean in kernels.h.
  Napi::Value SoftmaxHeadMean(const Napi::CallbackInfo& info) {
    const char* fn = "softmaxHeadMean";
    Napi::Env env = info.Env();
    Buffer x = buffer_arg(info, 0, fn, "x"), mean = buffer_arg(info, 1, fn, "mean");
    static const char* const kNames[] = {"batch", "heads", "rows", "n"};
    int64_t s[4];
    const int64_t total = size_args(info, 2, fn, kNames, 4, s);
    if (s[1] < 1) throw_range(env, "torchlet.native.softmaxHeadMean: 'heads' must be at least 1");
    const DType t = float_operands(env, fn, {{"x", &x}, {"mean", &mean}});
    need(env, fn, "x", x, total);
    need(env, fn, "mean", mean, s[0] * s[2] * s[3]);
    const char *xb = static_cast<const char*>(x.data), *mb = static_cast<const char*>(mean.data);
    if (xb < mb + mean.length * mean.elem_size && mb < xb + x.length * x.elem_size) {
      throw_range(env, "torchlet.native.softmaxHeadMean: 'mean' must not overlap 'x'");
    }
    softmax_head_mean(t, x.data, mean.data, s[0], s[1], s[2], s[3]);
    return env.Undefined();
  }

  // layerNorm(x, w|null, b|null, y, mean, rstd, m, n, eps): x and y [m, n], w and b [n], mean and rstd [m].
  Napi::Value LayerNorm(const Napi::CallbackInfo& info) {
    const char* fn = "layerNorm";
    Napi::Env env = info.Env();
    Buffer x = buffer_arg(info, 0, fn, "x"), w = buffer_arg(info, 1, fn, "weight", true),
           b = buffer_arg(info, 2, fn, "bias", true), y = buffer_arg(info, 3, fn, "y"),
           mean = buffer_arg(info, 4, fn, "mean"), rstd = buffer_arg(info, 5, fn, "rstd");
    static const char* const kNames[] = {"m", "n"};
    int64_t s[2];
    const int64_t total = size_args(info, 6, fn, kNames, 2, s);
    const double eps = number_arg(info, 8, fn, "eps");
    const DType t = float_operands(env, fn, {{"x", &x}, {"weight", &w}, {"bias", &b}, {"y", &y}, {"mean", &mean}, {"rstd", &rstd}});
    need(env, fn, "x", x, total);
    need(env, fn, "y", y, total);
    need(env, fn, "weight", w, s[1]);
    need(env, fn, "bias", b, s[1]);
    need(env, fn, "mean", mean, s[0]);
    need(env, fn, "rstd", rstd, s[0]);
    layer_norm_forward(t, x.data, w.data, b.data, y.data, mean.data, rstd.data, s[0], s[1], eps);
    return env.Undefined();
  }

  // layerNormBackward(g, x, mean, rstd, w|null, gx|null, gw|null, gb|null, m, n).
  Napi::Value LayerNormBackward(const Napi::CallbackInfo& info) {
    const char* fn = "layerNormBackward";
    Napi::Env env = info.Env();
    Buffer g = buffer_arg(info, 0, fn, "g"), x = buffer_arg(info, 1, fn, "x"), mean = buffer_arg(info, 2, fn, "mean"),
           rstd = buffer_arg(info, 3, fn, "rstd"), w = buffer_arg(info, 4, fn, "weight", true),
           gx = buffer_arg(info, 5, fn, "gx", true), gw = buffer_arg(info, 6, fn, "gw", true),
           gb = buffer_arg(info, 7, fn, "gb", true);
    static const char* const kNames[] = {"m", "n"};
    int64_t s[2];
    const int64_t total = size_args(info, 8, fn, kNames, 2, s);
    const DType t = float_operands(env, fn, {{"g", &g}, {"x", &x}, {"mean", &mean}, {"rstd", &rstd}, {"weight", &w},
                                             {"gx", &gx}, {"gw", &gw}, {"gb", &gb}});
    need(env, fn, "g", g, total);
    need(env, fn, "x", x, total);
    need(env, fn, "gx", gx, total);
    need(env, fn, "mean", mean, s[0]);
    need(env, fn, "rstd", rstd, s[0]);
    need(env, fn, "weight", w, s[1]);
    need(env, fn, "gw", gw, s[1]);
    need(env, fn, "gb", gb, s[1]);
    layer_norm_backward(t, g.data, x.data, mean.data, rstd.data, w.data, gx.data, gw.data, gb.data, s[0], s[1]);
    return env.Undefined();
  }

  // The shared arguments of classLoss and classLossBackward from index `first`: rows, classes, ignoreIndex,
  // smoothing, logInput (0 or 1), reduction (0 none, 1 mean, 2 sum).
  static ClassLoss class_loss_args(const Napi::CallbackInfo& info, size_t first, const char* fn) {
    static const char* const kNames[] = {"rows", "classes"};
    int64_t s[2];
    size_args(info, first, fn, kNames, 2, s);
    ClassLoss p;
    p.rows = s[0];
    p.classes = s[1];
    p.ignore_index = int_arg(info, first + 2, fn, "ignoreIndex", -(INT64_C(1) << 53), INT64_C(1) << 53);
    p.smoothing = number_arg(info, first + 3, fn, "smoothing");
    if (!(p.smoothing >= 0 && p.smoothing <= 1)) {
      throw_range(info.Env(), std::string("torchlet.native.") + fn + ": smoothing must be in [0, 1]");
    }
    p.log_input = int_arg(info, first + 4, fn, "logInput", 0, 1) != 0;
    p.reduction = int(int_arg(info, first + 5, fn, "reduction", 0, 2));
    if (p.log_input && p.smoothing > 0) {
      throw_range(info.Env(), std::string("torchlet.native.") + fn + ": smoothing needs logits (logInput 0)");
    }
    return p;
  }
  void check_class_loss(Napi::Env env, const char* fn, const ClassLoss& p, const Buffer& x, const Buffer& target,
                        const Buffer& weight, const Buffer& stats) {
    require_dtype(env, fn, "target", target, DType::I32);
    need(env, fn, "x", x, p.rows * p.classes);
    need(env, fn, "target", target, p.rows);
    need(env, fn, "weight", weight, p.classes);
    if (!p.log_input && !stats.data) throw_type(env, std::string("torchlet.native.") + fn + ": 'stats' is required for logits");
    need(env, fn, "stats", stats, 2 * p.rows);
  }

  // classLoss(x, target, weight|null, loss, stats|null, totals, rows, classes, ignoreIndex, smoothing, logInput,
  // reduction) -> -1, or the first row whose target is out of range (then nothing is computed). totals[0] receives
  // the kept rows' weight.
  Napi::Value ClassLossFn(const Napi::CallbackInfo& info) {
    const char* fn = "classLoss";
    Napi::Env env = info.Env();
    Buffer x = buffer_arg(info, 0, fn, "x"), target = buffer_arg(info, 1, fn, "target"),
           weight = buffer_arg(info, 2, fn, "weight", true), loss = buffer_arg(info, 3, fn, "loss"),
           stats = buffer_arg(info, 4, fn, "stats", true), totals = buffer_arg(info, 5, fn, "totals");
    const ClassLoss p = class_loss_args(info, 6, fn);
    const DType t = float_operands(env, fn, {{"x", &x}, {"weight", &weight}, {"loss", &loss}, {"stats", &stats}});
    require_dtype(env, fn, "totals", totals, DType::F64);
    need(env, fn, "totals", totals, 1);
    check_class_loss(env, fn, p, x, target, weight, stats);
    need(env, fn, "loss", loss, p.reduction == 0 ? p.rows : 1);
    double total = 0;
    const int64_t bad = class_loss_forward(t, x.data, static_cast<const int32_t*>(target.data), weight.data, loss.data,
                                           stats.data, &total, p);
    static_cast<double*>(totals.data)[0] = total;
    return Napi::Number::New(env, double(bad));
  }

  // classLossBackward(x, target, weight|null, stats|null, g, gx, totalWeight, rows, classes, ignoreIndex, smoothing,
  // logInput, reduction): gx [rows, classes] for the incoming g (rows values for none, else one).
  Napi::Value ClassLossBackward(const Napi::CallbackInfo& info) {
    const char* fn = "classLossBackward";
    Napi::Env env = info.Env();
    Buffer x = buffer_arg(info, 0, fn, "x"), target = buffer_arg(info, 1, fn, "target"),
           weight = buffer_arg(info, 2, fn, "weight", true), stats = buffer_arg(info, 3, fn, "stats", true),
           g = buffer_arg(info, 4, fn, "g"), gx = buffer_arg(info, 5, fn, "gx");
    const double total = number_arg(info, 6, fn, "totalWeight");
    const ClassLoss p = class_loss_args(info, 7, fn);
    const DType t = float_operands(env, fn, {{"x", &x}, {"weight", &weight}, {"stats", &stats}, {"g", &g}, {"gx", &gx}});
    check_class_loss(env, fn, p, x, target, weight, stats);
    need(env, fn, "g", g, p.reduction == 0 ? p.rows : 1);
    need(env, fn, "gx", gx, p.rows * p.classes);
    if (!class_loss_backward(t, x.data, static_cast<const int32_t*>(target.data), weight.data, stats.data, g.data,
                             gx.data, total, p)) {
      throw_range(env, "torchlet.native.classLossBackward: a target is out of range");
    }
    return env.Undefined();
  }

  // Random streams: the generator state is a caller-owned Uint32Array of rngStateWords words.
  uint32_t* state_arg(const Napi::CallbackInfo& info, const char* fn) {
    return u32_arg(info, 0, fn, "state", kRngStateWords);
  }
  // (state, out, offset, n): the contiguous run out[offset .. offset + n) of a floating (float32 or float64) or an
  // int32 buffer.
  struct Run {
    void* data;
    DType dtype;
    int64_t n;
  };
  Run run_arg(const Napi::CallbackInfo& info, const char* fn, bool floating) {
    Buffer out = buffer_arg(info, 1, fn, "out");
    if (floating) float_operands(info.Env(), fn, {{"out", &out}});
    else require_dtype(info.Env(), fn, "out", out, DType::I32);
    const int64_t offset = int_arg(info, 2, fn, "offset", 0, int64_t(out.length));
    const int64_t n = int_arg(info, 3, fn, "n", 0, int64_t(out.length) - offset);
    return Run{static_cast<char*>(out.data) + offset * int64_t(out.elem_size), out.dtype, n};
  }

  Napi::Value RngSeed(const Napi::CallbackInfo& info) {
    uint32_t* state = state_arg(info, "rngSeed");
    const uint64_t lo = uint64_t(int_arg(info, 1, "rngSeed", "low word", 0, 0xffffffffLL));
    const uint64_t hi = uint64_t(int_arg(info, 2, "rngSeed", "high word", 0, 0xffffffffLL));
    rng_seed(state, (hi << 32) | lo);
    return info.Env().Undefined();
  }

  // (state, out, offset, n, a, b) for the float draws: uniform(from, to), normal(mean, std).
  Napi::Value FloatDraw(const Napi::CallbackInfo& info, const char* fn, const char* a, const char* b,
                        bool (*draw)(uint32_t*, DType, void*, int64_t, double, double)) {
    uint32_t* state = state_arg(info, fn);
    const Run out = run_arg(info, fn, true);
    draw(state, out.dtype, out.data, out.n, number_arg(info, 4, fn, a), number_arg(info, 5, fn, b));
    return info.Env().Undefined();
  }
  Napi::Value RngUniform(const Napi::CallbackInfo& info) { return FloatDraw(info, "rngUniform", "from", "to", rng_uniform); }
  Napi::Value RngNormal(const Napi::CallbackInfo& info) { return FloatDraw(info, "rngNormal", "mean", "std", rng_normal); }

  Napi::Value RngRandint(const Napi::CallbackInfo& info) {
    const char* fn = "rngRandint";
    uint32_t* state = state_arg(info, fn);
    const Run out = run_arg(info, fn, false);
    const int64_t low = int_arg(info, 4, fn, "low", INT32_MIN, INT32_MAX);
    const int64_t high = int_arg(info, 5, fn, "high", INT32_MIN, int64_t(INT32_MAX) + 1);
    if (high <= low) throw_range(info.Env(), "torchlet.native.rngRandint: expected low < high");
    rng_randint(state, static_cast<int32_t*>(out.data), out.n, low, high);
    return info.Env().Undefined();
  }

  Napi::Value RngRandperm(const Napi::CallbackInfo& info) {
    uint32_t* state = state_arg(info, "rngRandperm");
    const Run out = run_arg(info, "rngRandperm", false);
    rng_randperm(state, static_cast<int32_t*>(out.data), out.n);
    return info.Env().Undefined();
  }

  Napi::Value RngBernoulli(const Napi::CallbackInfo& info) {
    uint32_t* state = state_arg(info, "rngBernoulli");
    const Run out = run_arg(info, "rngBernoulli", true);
    rng_bernoulli(state, out.dtype, out.data, out.n, number_arg(info, 4, "rngBernoulli", "p"));
    return info.Env().Undefined();
  }

  Napi::Value BackendInfo(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("blas", Napi::String::New(env, "OpenBLAS"));
    o.Set("blasConfig", Napi::String::New(env, openblas_get_config()));
    o.Set("blasCore", Napi::String::New(env, openblas_get_corename()));
    o.Set("numThreads", Napi::Number::New(env, openblas_get_num_threads()));
    o.Set("maxThreads", Napi::Number::New(env, max_threads()));
    o.Set("addonVersion", Napi::String::New(env, TORCHLET_VERSION));
    o.Set("napiVersion", Napi::Number::New(env, double(Napi::VersionManagement::GetNapiVersion(env))));
    o.Set("napiBuildVersion", Napi::Number::New(env, NAPI_VERSION));
    o.Set("mallocTuned", Napi::Boolean::New(env, malloc_.kept));
    o.Set("hugePages", Napi::Boolean::New(env, malloc_.huge));
    o.Set("streamingStores", Napi::Boolean::New(env, streaming_stores()));
    return o;
  }

  // setNumThreads(n): n in [1, max_threads()]. OpenBLAS silently caps larger counts at what it was built for, and
  // starting more threads than CPUs buys nothing (and under a memory limit, OpenBLAS hangs when a thread fails to
  // start), so anything else is a RangeError.
  Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
    const double n = number_arg(info, 0, "setNumThreads", "n");
    const int limit = max_threads();
    if (!(n >= 1 && n <= limit) || std::floor(n) != n) {
      throw_range(info.Env(), "torchlet.native.setNumThreads: expected an integer in [1, " + std::to_string(limit) +
                                  "] (the CPUs this process may use, within what OpenBLAS was built for) but received " +
                                  Napi::Number::New(info.Env(), n).ToString().Utf8Value());
    }
    openblas_set_num_threads(int(n));
    set_num_threads(int(n));
    return info.Env().Undefined();
  }

  // misalignment(buffer) -> the address of the ArrayBuffer's first byte modulo 64. glibc hands out blocks at 16 bytes
  // past a 64-byte line as often as not; lib/dtype.ts starts storage on a line instead, because vector loads and
  // stores that straddle two cache lines run at up to half speed on data in L1 and L2. lib/dtype.ts asks this of
  // each fresh storage buffer before anything writes to it, so this is also where its memory is advised onto huge
  // pages (memory.cpp).
  Napi::Value Misalignment(const Napi::CallbackInfo& info) {
    if (info.Length() != 1 || !info[0].IsArrayBuffer()) {
      throw_type(info.Env(), "torchlet.native.misalignment: expected one ArrayBuffer");
    }
    Napi::ArrayBuffer buffer = info[0].As<Napi::ArrayBuffer>();
    advise_storage(buffer.Data(), buffer.ByteLength());
    const auto address = reinterpret_cast<uintptr_t>(buffer.Data());
    return Napi::Number::New(info.Env(), double(address % 64));
  }

  // The count setNumThreads last set (OpenBLAS's and torchlet's pools are kept the same size).
  Napi::Value GetNumThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), get_num_threads()); }

  // The CPUs OpenBLAS sees this process may use (its affinity mask), capped at the MAX_THREADS it was built with.
  static int max_threads() {
    int limit = std::max(1, openblas_get_num_procs());
    const std::string config = openblas_get_config();
    const size_t at = config.find("MAX_THREADS=");
    if (at != std::string::npos) {
      const int built = std::atoi(config.c_str() + at + 12);
      if (built > 0) limit = std::min(limit, built);
    }
    return limit;
  }

  // Scratch for the convolution kernels (bytes, of either float dtype), starting on a 64-byte cache line: the kernels
  // lay out their parts in whole lines from there. (new[] gives 16-byte alignment, so the same layer's GEMM operands
  // sat 0, 16, 32 or 48 bytes off a line depending on the process: the demo CNN's step on 2 threads took 8.1 ms in some
  // processes and 9.0-9.5 in others.) Up to kKeepBytes it is kept for the next call (a training step runs the same
  // convolutions over and over); a larger one is given back when its call ends, so one large convolution does not
  // hold its scratch for the life of the process.
  struct Workspace {
    static constexpr size_t kKeepBytes = size_t(64) << 20;
    static constexpr size_t kLine = 64;
    std::unique_ptr<unsigned char[]> kept;
    size_t kept_bytes = 0;
    static unsigned char* aligned(unsigned char* p) {
      return p + (kLine - reinterpret_cast<uintptr_t>(p) % kLine) % kLine;
    }
  };
  class Scratch {
   public:
    Scratch(Workspace& ws, size_t bytes, Napi::Env env, const char* fn) {
      if (bytes <= Workspace::kKeepBytes && ws.kept_bytes >= bytes) {
        data_ = Workspace::aligned(ws.kept.get());
        return;
      }
      // Uninitialised: the kernels write every scratch element before reading it.
      std::unique_ptr<unsigned char[]> block(new (std::nothrow) unsigned char[bytes + Workspace::kLine]);
      if (!block) {
        throw_range(env, std::string("torchlet.native.") + fn + ": out of memory: could not allocate " +
                             std::to_string(bytes) + " bytes of scratch");
      }
      data_ = Workspace::aligned(block.get());
      if (bytes <= Workspace::kKeepBytes) {
        ws.kept = std::move(block);
        ws.kept_bytes = bytes;
      } else {
        own_ = std::move(block);
      }
    }
    void* data() const { return data_; }

   private:
    std::unique_ptr<unsigned char[]> own_;  // a scratch too large to keep, freed with this object
    void* data_ = nullptr;
  };

  const MallocTuning malloc_;
  Workspace workspace_;
};

}  // namespace binding
}  // namespace torchlet

using TorchletAddon = torchlet::binding::Addon;
NODE_API_ADDON(TorchletAddon)
