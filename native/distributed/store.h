// Rendezvous stores for torchlet.distributed (plain C++, no Node headers).
//
// Gloo ships FileStore, HashStore, PrefixStore and RedisStore but no TCP store, so `env://` gets one here: rank 0
// serves a tiny key-value store over TCP (StoreServer) and every rank talks to it through TcpStore, a
// gloo::rendezvous::Store. Every store also answers `has(key)` without blocking, which the rendezvous uses to name
// the ranks that never arrived.
#pragma once

#include <gloo/rendezvous/file_store.h>
#include <gloo/rendezvous/store.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace torchlet {
namespace distributed {

// A rendezvous failure whose message is already meant for the user (a timeout, a store that went away).
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A gloo::rendezvous::Store that can also say, without waiting, whether a key is set.
class Store : public gloo::rendezvous::Store {
 public:
  virtual bool has(const std::string& key) = 0;
  using gloo::rendezvous::Store::wait;
  void wait(const std::vector<std::string>& keys) override { wait(keys, timeout_); }
  std::chrono::milliseconds timeout() const { return timeout_; }

 protected:
  explicit Store(std::chrono::milliseconds timeout) : timeout_(timeout) {}
  std::chrono::milliseconds timeout_;
};

// Gloo's FileStore over one directory (created if missing), with its protected check() as has().
class FileStore : public Store {
 public:
  FileStore(const std::string& dir, std::chrono::milliseconds timeout);
  void set(const std::string& key, const std::vector<char>& data) override;
  std::vector<char> get(const std::string& key) override;
  void wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) override;
  bool has(const std::string& key) override;

 private:
  struct Impl : gloo::rendezvous::FileStore {
    using gloo::rendezvous::FileStore::FileStore;
    using gloo::rendezvous::FileStore::check;
  };
  std::string dir_;
  std::unique_ptr<Impl> impl_;
};

// Every key of another store under "prefix.", so several process groups share one store.
class PrefixStore : public Store {
 public:
  PrefixStore(std::shared_ptr<Store> base, std::string prefix)
      : Store(base->timeout()), base_(std::move(base)), prefix_(std::move(prefix) + ".") {}
  void set(const std::string& key, const std::vector<char>& data) override { base_->set(prefix_ + key, data); }
  std::vector<char> get(const std::string& key) override { return base_->get(prefix_ + key); }
  void wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) override;
  bool has(const std::string& key) override { return base_->has(prefix_ + key); }

 private:
  std::shared_ptr<Store> base_;
  std::string prefix_;
};

// The client of StoreServer: one TCP connection, used by one thread at a time (each process group's communication
// thread has its own). Connecting retries until the timeout, since rank 0 may start its server after the others.
class TcpStore : public Store {
 public:
  TcpStore(const std::string& host, int port, std::chrono::milliseconds timeout);
  ~TcpStore() override;
  void set(const std::string& key, const std::vector<char>& data) override;
  std::vector<char> get(const std::string& key) override;
  void wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) override;
  bool has(const std::string& key) override;

 private:
  // Sends one request and reads the reply's payload; false when the deadline passed first.
  bool request(char op, const std::string& key, const std::vector<char>& value, std::vector<char>& reply,
               std::chrono::steady_clock::time_point deadline);
  std::string where() const;
  std::string host_;
  int port_;
  int fd_ = -1;
};

// The key-value store rank 0 serves for `env://`: an accept thread and one thread per connection; `get` waits on
// the server until the key is set. Stopping shuts every socket down and joins every thread.
class StoreServer {
 public:
  // Binds host:port (all interfaces for an empty host); throws StoreError naming the address when it cannot.
  StoreServer(const std::string& host, int port);
  ~StoreServer();
  int port() const { return port_; }

 private:
  void accept_loop();
  void serve(int fd);
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::vector<char>> data_;
  std::vector<int> clients_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace distributed
}  // namespace torchlet
