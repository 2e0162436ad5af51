// The Node-API surface of torchlet's optional Gloo addon (torchlet_gloo.node): flat functions over typed arrays.
// lib/distributed/native.ts describes the same surface in TypeScript; lib/distributed/ checks every argument
// first, and the checks here only keep bad input from crashing the process.
#include <napi.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "group.h"

namespace torchlet {
namespace distributed {

namespace {

[[noreturn]] void throw_type(Napi::Env env, const std::string& m) { throw Napi::TypeError::New(env, "torchlet_gloo." + m); }
[[noreturn]] void throw_range(Napi::Env env, const std::string& m) { throw Napi::RangeError::New(env, "torchlet_gloo." + m); }

std::string string_of(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
}

int64_t int_of(const Napi::Object& o, const char* key, int64_t fallback) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Int64Value() : fallback;
}

// A typed array's elements, with the dtype its type stands for.
Span span_of(Napi::Env env, const char* fn, Napi::Value v, DType dtype) {
  if (!v.IsTypedArray()) throw_type(env, std::string(fn) + ": expected a typed array");
  Napi::TypedArray a = v.As<Napi::TypedArray>();
  napi_typedarray_type want = dtype == DType::kFloat64 ? napi_float64_array
                              : dtype == DType::kInt32 ? napi_int32_array
                                                       : napi_float32_array;
  if (a.TypedArrayType() != want) throw_type(env, std::string(fn) + ": a buffer's type does not match the dtype");
  auto* base = static_cast<char*>(a.ArrayBuffer().Data());
  return Span{base + a.ByteOffset(), a.ElementLength()};
}

std::vector<Span> spans_of(Napi::Env env, const char* fn, Napi::Value v, DType dtype) {
  if (!v.IsArray()) throw_type(env, std::string(fn) + ": expected an array of typed arrays");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<Span> out;
  for (uint32_t i = 0; i < a.Length(); ++i) out.push_back(span_of(env, fn, a.Get(i), dtype));
  return out;
}

using WorkRef = std::shared_ptr<Work>;

WorkRef& work_of(Napi::Env env, Napi::Value v) {
  if (!v.IsExternal()) throw_type(env, "work: expected a work handle");
  return *v.As<Napi::External<WorkRef>>().Data();
}

// Checks the spans a collective reads and writes against each other and the world size, so that no kernel reads
// past a buffer whatever JS sends.
void check_sizes(Napi::Env env, const Collective& c, int world, int rank) {
  const char* fn = "run";
  auto same = [&](const std::vector<Span>& s, size_t count) {
    for (const auto& x : s) {
      if (x.count != count) throw_range(env, std::string(fn) + ": buffers of unequal lengths");
    }
  };
  auto list = [&](const std::vector<Span>& s, size_t count) {
    if (s.size() == 1) {
      if (s[0].count != count * world) throw_range(env, std::string(fn) + ": a flat buffer must hold world * count elements");
    } else if (s.size() == static_cast<size_t>(world)) {
      same(s, count);
    } else {
      throw_range(env, std::string(fn) + ": a list needs one buffer per rank");
    }
  };
  const bool root = rank == c.root;
  switch (c.kind) {
    case Kind::kAllReduce: case Kind::kBroadcast: case Kind::kReduce: case Kind::kRecv:
      if (c.out.size() != 1) throw_range(env, std::string(fn) + ": expected one output");
      break;
    case Kind::kBarrier: break;
    case Kind::kSend:
      if (c.in.size() != 1) throw_range(env, std::string(fn) + ": expected one input");
      break;
    case Kind::kAllGather:
      if (c.in.size() != 1) throw_range(env, std::string(fn) + ": expected one input");
      list(c.out, c.in[0].count);
      break;
    case Kind::kGather:
      if (c.in.size() != 1) throw_range(env, std::string(fn) + ": expected one input");
      if (root) list(c.out, c.in[0].count);
      break;
    case Kind::kScatter:
      if (c.out.size() != 1) throw_range(env, std::string(fn) + ": expected one output");
      if (root) list(c.in, c.out[0].count);
      break;
    case Kind::kReduceScatter:
      if (c.out.size() != 1) throw_range(env, std::string(fn) + ": expected one output");
      list(c.in, c.out[0].count);
      break;
    case Kind::kAllToAll: {
      if (c.in.empty() || c.out.empty()) throw_range(env, std::string(fn) + ": expected inputs and outputs");
      const size_t count = c.out.size() == 1 ? c.out[0].count / world : c.out[0].count;
      list(c.in, count);
      list(c.out, count);
      break;
    }
  }
  const bool p2p = c.kind == Kind::kSend || c.kind == Kind::kRecv;
  if ((c.kind == Kind::kBroadcast || c.kind == Kind::kGather || c.kind == Kind::kScatter || c.kind == Kind::kReduce || p2p) &&
      (c.root < 0 || c.root >= world || (p2p && c.root == rank))) {
    throw_range(env, std::string(fn) + ": root or peer out of range");
  }
}

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports) {
    DefineAddon(exports, {
        InstanceMethod<&Addon::Guarded<&Addon::StartStore>>("startStore", napi_default, const_cast<char*>("startStore")),
        InstanceMethod<&Addon::Guarded<&Addon::StopStore>>("stopStore", napi_default, const_cast<char*>("stopStore")),
        InstanceMethod<&Addon::Guarded<&Addon::NewGroup>>("newGroup", napi_default, const_cast<char*>("newGroup")),
        InstanceMethod<&Addon::Guarded<&Addon::DestroyGroup>>("destroyGroup", napi_default, const_cast<char*>("destroyGroup")),
        InstanceMethod<&Addon::Guarded<&Addon::Run>>("run", napi_default, const_cast<char*>("run")),
        InstanceMethod<&Addon::Guarded<&Addon::Wait>>("wait", napi_default, const_cast<char*>("wait")),
        InstanceMethod<&Addon::Guarded<&Addon::ScaleInto>>("scaleInto", napi_default, const_cast<char*>("scaleInto")),
        InstanceMethod<&Addon::Guarded<&Addon::IsCompleted>>("isCompleted", napi_default, const_cast<char*>("isCompleted")),
        InstanceMethod<&Addon::Guarded<&Addon::UsesSharedMemory>>("usesSharedMemory", napi_default, const_cast<char*>("usesSharedMemory")),
    });
  }

  // At environment teardown (process exit, a worker ending): stop every thread before the memory goes away.
  ~Addon() {
    for (auto& g : groups_) g.second->abort();
    for (auto& g : retired_) g->abort();
    groups_.clear();  // each destructor joins its thread
    retired_.clear();
    stores_.clear();
  }

 private:
  template <Napi::Value (Addon::*kMethod)(const Napi::CallbackInfo&)>
  Napi::Value Guarded(const Napi::CallbackInfo& info) {
    try {
      return (this->*kMethod)(info);
    } catch (const Napi::Error&) {
      throw;
    } catch (const std::exception& e) {
      throw Napi::Error::New(info.Env(), std::string("torchlet_gloo.") + static_cast<const char*>(info.Data()) + ": " + e.what());
    } catch (...) {
      throw Napi::Error::New(info.Env(), std::string("torchlet_gloo.") + static_cast<const char*>(info.Data()) + ": unknown native error");
    }
  }

  // startStore(host, port) -> [id, port]: rank 0's key-value store for env:// (port 0 picks a free one).
  Napi::Value StartStore(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsString() || !info[1].IsNumber()) throw_type(env, "startStore: expected (host, port)");
    auto server = std::make_unique<StoreServer>(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::Number>().Int32Value());
    const int port = server->port();
    const int id = next_id_++;
    stores_[id] = std::move(server);
    Napi::Array out = Napi::Array::New(env, 2);
    out.Set(0u, id);
    out.Set(1u, port);
    return out;
  }

  Napi::Value StopStore(const Napi::CallbackInfo& info) {
    if (info[0].IsNumber()) stores_.erase(info[0].As<Napi::Number>().Int32Value());
    return info.Env().Undefined();
  }

  // newGroup(options, callback) -> id: starts the group's thread, whose first task is the rendezvous;
  // callback(error | null) reports its outcome.
  Napi::Value NewGroup(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject() || !info[1].IsFunction()) throw_type(env, "newGroup: expected (options, callback)");
    Napi::Object o = info[0].As<Napi::Object>();
    GroupOptions g;
    g.store = string_of(o, "store");
    g.path = string_of(o, "path");
    g.host = string_of(o, "host");
    g.port = static_cast<int>(int_of(o, "port", 0));
    g.prefix = string_of(o, "prefix");
    g.rank = static_cast<int>(int_of(o, "rank", -1));
    g.size = static_cast<int>(int_of(o, "size", 0));
    g.timeout_ms = int_of(o, "timeout", 1800000);
    g.hostname = string_of(o, "hostname");
    g.iface = string_of(o, "iface");
    Napi::Value shm = o.Get("shm");
    g.shm = shm.IsBoolean() && shm.As<Napi::Boolean>().Value();
    Napi::Value ranks = o.Get("globalRanks");
    if (ranks.IsArray()) {
      Napi::Array a = ranks.As<Napi::Array>();
      for (uint32_t i = 0; i < a.Length(); ++i) g.global_ranks.push_back(a.Get(i).As<Napi::Number>().Int32Value());
    }
    if (g.size < 1 || g.rank < 0 || g.rank >= g.size || g.global_ranks.size() != static_cast<size_t>(g.size) ||
        g.timeout_ms < 1 || (g.store != "file" && g.store != "tcp")) {
      throw_range(env, "newGroup: bad options");
    }
    auto group = std::make_shared<ProcessGroup>(std::move(g));
    group->start(completion(env, info[1].As<Napi::Function>(), nullptr));
    const int id = next_id_++;
    groups_[id] = group;
    return Napi::Number::New(env, id);
  }

  Napi::Value DestroyGroup(const Napi::CallbackInfo& info) {
    auto it = info[0].IsNumber() ? groups_.find(info[0].As<Napi::Number>().Int32Value()) : groups_.end();
    if (it != groups_.end()) {
      it->second->close();  // its thread ends after the running task; joined at teardown
      retired_.push_back(it->second);
      groups_.erase(it);
    }
    return info.Env().Undefined();
  }

  // run(group, kind, op, root, dtype, inputs, outputs, timeoutMs, callback) -> work handle. Without a callback
  // (undefined) the caller must keep the buffers alive and wait for the work itself: nothing reaches the event loop,
  // so a synchronous training loop that never yields leaves no pending JS callbacks (and their objects) behind.
  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    // No callback (undefined): the work is only waited for, so no JS call is queued when it completes.
    if (!info[8].IsFunction() && !info[8].IsUndefined()) throw_type(env, "run: expected a callback or undefined");
    Collective c;
    auto& group = collective_of(info, "run", c);
    auto work = std::make_shared<Work>();
    auto done = info[8].IsFunction() ? completion(env, info[8].As<Napi::Function>(), work)
                                     : ProcessGroup::Done([work](const std::string& error) { work->finish(error); });
    if (is_p2p(c)) group->post(std::move(c), std::move(done));
    else group->enqueue(std::move(c), std::move(done));
    return Napi::External<WorkRef>::New(env, new WorkRef(work), [](Napi::Env, WorkRef* w) { delete w; });
  }

  // scaleInto(dst, src, scale): dst[i] = src[i] * scale in dst's precision (the scale rounded to it first, as a
  // tensor times a number), one pass: DistributedDataParallel's copy of a gradient into its bucket, as PyTorch's
  // Reducer::copy_grad_to_bucket (mul_out), instead of a copy and an in-place multiply (two passes over the bucket).
  // dst and src: Float32Arrays or Float64Arrays of one type and length, not overlapping.
  Napi::Value ScaleInto(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsTypedArray() || !info[1].IsTypedArray() || !info[2].IsNumber()) throw_type(env, "scaleInto: expected (dst, src, scale)");
    Napi::TypedArray d = info[0].As<Napi::TypedArray>();
    Napi::TypedArray s = info[1].As<Napi::TypedArray>();
    const auto type = d.TypedArrayType();
    if ((type != napi_float32_array && type != napi_float64_array) || s.TypedArrayType() != type) {
      throw_type(env, "scaleInto: dst and src must be Float32Arrays or Float64Arrays of one type");
    }
    if (d.ElementLength() != s.ElementLength()) throw_range(env, "scaleInto: dst and src differ in length");
    const size_t n = d.ElementLength();
    const size_t elem = type == napi_float64_array ? 8 : 4;
    char* dp = static_cast<char*>(d.ArrayBuffer().Data()) + d.ByteOffset();
    const char* sp = static_cast<const char*>(s.ArrayBuffer().Data()) + s.ByteOffset();
    if (n && dp < sp + n * elem && sp < dp + n * elem) throw_range(env, "scaleInto: dst and src overlap");
    const double scale = info[2].As<Napi::Number>().DoubleValue();
    if (type == napi_float64_array) scale_into(reinterpret_cast<double*>(dp), reinterpret_cast<const double*>(sp), n, scale);
    else scale_into(reinterpret_cast<float*>(dp), reinterpret_cast<const float*>(sp), n, static_cast<float>(scale));
    return env.Undefined();
  }

  template <typename T>
#if defined(__GNUC__) && !defined(__clang__)
  __attribute__((optimize("tree-vectorize")))  // the addon builds at -O2, which leaves this loop scalar on GCC 12
#endif
  static void scale_into(T* __restrict dst, const T* __restrict src, size_t n, T scale) {
    for (size_t i = 0; i < n; ++i) dst[i] = src[i] * scale;
  }

  static bool is_p2p(const Collective& c) { return c.kind == Kind::kSend || c.kind == Kind::kRecv; }

  // The group and the collective of run's first 8 arguments, checked.
  std::shared_ptr<ProcessGroup>& collective_of(const Napi::CallbackInfo& info, const char* fn, Collective& c) {
    Napi::Env env = info.Env();
    for (int i = 0; i < 5; ++i) {
      if (!info[i].IsNumber()) throw_type(env, std::string(fn) + ": expected (group, kind, op, root, dtype, inputs, outputs, timeout, callback)");
    }
    auto it = groups_.find(info[0].As<Napi::Number>().Int32Value());
    if (it == groups_.end()) throw_range(env, std::string(fn) + ": the process group has been destroyed");
    const int kind = info[1].As<Napi::Number>().Int32Value();
    const int op = info[2].As<Napi::Number>().Int32Value();
    const int dtype = info[4].As<Napi::Number>().Int32Value();
    const bool p2p = kind == static_cast<int>(Kind::kSend) || kind == static_cast<int>(Kind::kRecv);
    if (kind < 0 || kind > static_cast<int>(Kind::kRecv) || op < 0 || (op > 4 && !p2p) || dtype < 0 || dtype > 2) {
      throw_range(env, std::string(fn) + ": bad kind, op or dtype");
    }
    c.kind = static_cast<Kind>(kind);
    c.op = static_cast<ReduceOp>(op);
    c.root = info[3].As<Napi::Number>().Int32Value();
    c.dtype = static_cast<DType>(dtype);
    c.in = spans_of(env, fn, info[5], c.dtype);
    c.out = spans_of(env, fn, info[6], c.dtype);
    c.timeout_ms = info[7].IsNumber() ? info[7].As<Napi::Number>().Int64Value() : 0;
    check_sizes(env, c, it->second->size(), it->second->rank());
    return it->second;
  }

  // wait(work) -> error string | null: blocks this thread until the work is done.
  Napi::Value Wait(const Napi::CallbackInfo& info) {
    WorkRef& w = work_of(info.Env(), info[0]);
    std::string error = w->wait();
    return error.empty() ? info.Env().Null() : Napi::String::New(info.Env(), error);
  }

  // usesSharedMemory(group) -> whether the group's allReduce runs through shared memory (false until its rendezvous
  // has succeeded, and for a destroyed group).
  Napi::Value UsesSharedMemory(const Napi::CallbackInfo& info) {
    auto it = info[0].IsNumber() ? groups_.find(info[0].As<Napi::Number>().Int32Value()) : groups_.end();
    return Napi::Boolean::New(info.Env(), it != groups_.end() && it->second->uses_shared_memory());
  }

  Napi::Value IsCompleted(const Napi::CallbackInfo& info) {
    WorkRef& w = work_of(info.Env(), info[0]);
    std::lock_guard<std::mutex> lock(w->mu);
    return Napi::Boolean::New(info.Env(), w->done);
  }

  // The completion of a task, run on the communication thread: marks the work done (waking wait()), then hands the
  // outcome to the JS callback through a thread-safe function that exists for this task only, so the event loop
  // stays alive exactly while something is pending.
  static ProcessGroup::Done completion(Napi::Env env, Napi::Function callback, WorkRef work) {
    auto tsfn = std::make_shared<Napi::ThreadSafeFunction>(
        Napi::ThreadSafeFunction::New(env, callback, "torchlet.distributed", 0, 1));
    return [tsfn, work](const std::string& error) {
      if (work) work->finish(error);
      auto* message = new std::string(error);
      napi_status s = tsfn->BlockingCall(message, [](Napi::Env env, Napi::Function cb, std::string* m) {
        std::unique_ptr<std::string> owned(m);
        if (env == nullptr || cb == nullptr) return;
        try {
          cb.Call({owned->empty() ? env.Null() : Napi::String::New(env, *owned)});
        } catch (const Napi::Error& e) {
          e.ThrowAsJavaScriptException();  // reaches process 'uncaughtException', as a throw in any callback does
        }
      });
      if (s != napi_ok) delete message;
      tsfn->Release();
    };
  }

  int next_id_ = 1;
  std::map<int, std::shared_ptr<ProcessGroup>> groups_;
  std::vector<std::shared_ptr<ProcessGroup>> retired_;
  std::map<int, std::unique_ptr<StoreServer>> stores_;
};

}  // namespace

}  // namespace distributed
}  // namespace torchlet

using TorchletGloo = torchlet::distributed::Addon;
NODE_API_ADDON(TorchletGloo)
