// Rendezvous stores: see store.h.
#include "store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

namespace torchlet {
namespace distributed {

namespace {

using Clock = std::chrono::steady_clock;

int ms_until(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : left > 1000000 ? 1000000 : static_cast<int>(left);
}

// Writes all of buf; false when the peer is gone.
bool write_all(int fd, const void* buf, size_t n) {
  const char* p = static_cast<const char*>(buf);
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Reads exactly n bytes. 1: done; 0: the peer closed or failed; -1: the deadline passed (never, without one).
int read_all(int fd, void* buf, size_t n, const Clock::time_point* deadline) {
  char* p = static_cast<char*>(buf);
  while (n > 0) {
    if (deadline) {
      pollfd pfd{fd, POLLIN, 0};
      int r = ::poll(&pfd, 1, ms_until(*deadline));
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) return -1;
      if (r < 0) return 0;
    }
    ssize_t got = ::recv(fd, p, n, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return 0;
    p += got;
    n -= static_cast<size_t>(got);
  }
  return 1;
}

bool write_frame(int fd, const std::string& a, const std::vector<char>& b) {
  uint32_t la = static_cast<uint32_t>(a.size()), lb = static_cast<uint32_t>(b.size());
  return write_all(fd, &la, 4) && write_all(fd, a.data(), a.size()) && write_all(fd, &lb, 4) &&
         write_all(fd, b.data(), b.size());
}

int read_bytes(int fd, std::vector<char>& out, const Clock::time_point* deadline) {
  uint32_t n = 0;
  int r = read_all(fd, &n, 4, deadline);
  if (r != 1) return r;
  out.resize(n);
  return n ? read_all(fd, out.data(), n, deadline) : 1;
}

std::string join_keys(const std::vector<std::string>& keys) {
  std::string s;
  for (const auto& k : keys) s += (s.empty() ? "" : ", ") + k;
  return s;
}

}  // namespace

FileStore::FileStore(const std::string& dir, std::chrono::milliseconds timeout) : Store(timeout), dir_(dir) {
  // mkdir -p: the directory of a file:// URL need not exist yet.
  for (size_t i = 1; i <= dir.size(); ++i) {
    if (i == dir.size() || dir[i] == '/') ::mkdir(dir.substr(0, i).c_str(), 0777);
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw StoreError("file:// store: " + dir + " is not a directory that can be created");
  }
  impl_ = std::make_unique<Impl>(dir);
}

void FileStore::set(const std::string& key, const std::vector<char>& data) {
  if (impl_->check({key})) {
    throw StoreError("file:// store: key '" + key + "' already exists in " + dir_ +
                     " (a file:// rendezvous needs a fresh, empty directory for each run)");
  }
  impl_->set(key, data);
}

std::vector<char> FileStore::get(const std::string& key) {
  wait({key}, timeout_);
  return impl_->get(key);
}

void FileStore::wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!impl_->check(keys)) {
    if (Clock::now() >= deadline) {
      throw StoreError("file:// store " + dir_ + ": timed out after " + std::to_string(timeout.count()) +
                       " ms waiting for " + join_keys(keys));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

bool FileStore::has(const std::string& key) { return impl_->check({key}); }

void PrefixStore::wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) {
  std::vector<std::string> full;
  for (const auto& k : keys) full.push_back(prefix_ + k);
  base_->wait(full, timeout);
}

TcpStore::TcpStore(const std::string& host, int port, std::chrono::milliseconds timeout)
    : Store(timeout), host_(host), port_(port) {}

TcpStore::~TcpStore() {
  if (fd_ >= 0) ::close(fd_);
}

std::string TcpStore::where() const { return "the store at " + host_ + ":" + std::to_string(port_); }

bool TcpStore::request(char op, const std::string& key, const std::vector<char>& value, std::vector<char>& reply,
                       Clock::time_point deadline) {
  std::string last_error = "no address";
  while (fd_ < 0) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    int rc = ::getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, &res);
    if (rc != 0) throw StoreError("env:// rendezvous: cannot resolve MASTER_ADDR " + host_ + " (" + gai_strerror(rc) + ")");
    for (addrinfo* a = res; a && fd_ < 0; a = a->ai_next) {
      int fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
      if (fd < 0) continue;
      if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fd_ = fd;
      } else {
        last_error = std::strerror(errno);
        ::close(fd);
      }
    }
    ::freeaddrinfo(res);
    if (fd_ >= 0) break;
    if (Clock::now() >= deadline) {
      throw StoreError("env:// rendezvous: could not connect to " + where() + " (rank 0's store) within the timeout (" +
                       last_error + ")");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!write_all(fd_, &op, 1) || !write_frame(fd_, key, value)) {
    ::close(fd_);
    fd_ = -1;
    throw StoreError("env:// rendezvous: lost the connection to " + where() + " (has rank 0 exited?)");
  }
  int r = read_bytes(fd_, reply, &deadline);
  if (r == 1) return true;
  // A late answer would be read as the reply to the next request: start over on a new connection.
  ::close(fd_);
  fd_ = -1;
  if (r == 0) throw StoreError("env:// rendezvous: lost the connection to " + where() + " (has rank 0 exited?)");
  return false;
}

void TcpStore::set(const std::string& key, const std::vector<char>& data) {
  std::vector<char> reply;
  request('S', key, data, reply, Clock::now() + timeout_);
}

std::vector<char> TcpStore::get(const std::string& key) {
  std::vector<char> reply;
  if (!request('G', key, {}, reply, Clock::now() + timeout_)) {
    throw StoreError("env:// rendezvous: timed out after " + std::to_string(timeout_.count()) + " ms waiting for key " +
                     key + " in " + where());
  }
  return reply;
}

void TcpStore::wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) {
  const auto deadline = Clock::now() + timeout;
  std::vector<char> reply;
  for (const auto& k : keys) {
    if (!request('G', k, {}, reply, deadline)) {
      throw StoreError("env:// rendezvous: timed out after " + std::to_string(timeout.count()) +
                       " ms waiting for " + join_keys(keys) + " in " + where());
    }
  }
}

bool TcpStore::has(const std::string& key) {
  std::vector<char> reply;
  request('C', key, {}, reply, Clock::now() + timeout_);
  return !reply.empty() && reply[0] == 1;
}

StoreServer::StoreServer(const std::string& host, int port) {
  const std::string where = (host.empty() ? std::string("*") : host) + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (rc != 0) throw StoreError("env:// rendezvous: cannot resolve " + where + " (" + gai_strerror(rc) + ")");
  std::string err = "no address";
  for (addrinfo* a = res; a && listen_fd_ < 0; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 128) == 0) {
      listen_fd_ = fd;
    } else {
      err = std::strerror(errno);
      ::close(fd);
    }
  }
  ::freeaddrinfo(res);
  if (listen_fd_ < 0) {
    throw StoreError("env:// rendezvous: rank 0 cannot serve the store on " + where + " (" + err +
                     "); choose another MASTER_PORT");
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len);
  port_ = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                          : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

StoreServer::~StoreServer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    for (int fd : clients_) ::shutdown(fd, SHUT_RDWR);
  }
  cv_.notify_all();
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  for (auto& t : threads_) t.join();
  for (int fd : clients_) ::close(fd);
  ::close(listen_fd_);
}

void StoreServer::accept_loop() {
  while (!stop_) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (::poll(&pfd, 1, 100) <= 0) continue;
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) {
      ::close(fd);
      break;
    }
    clients_.push_back(fd);
    threads_.emplace_back([this, fd] { serve(fd); });
  }
}

void StoreServer::serve(int fd) {
  std::vector<char> key, value;
  char op = 0;
  while (!stop_ && read_all(fd, &op, 1, nullptr) == 1 && read_bytes(fd, key, nullptr) == 1 &&
         read_bytes(fd, value, nullptr) == 1) {
    const std::string k(key.begin(), key.end());
    std::vector<char> reply;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (op == 'S') {
        data_[k] = value;
        cv_.notify_all();
      } else if (op == 'G') {
        cv_.wait(lock, [&] { return stop_ || data_.count(k) > 0; });
        if (stop_) break;
        reply = data_[k];
      } else if (op == 'C') {
        reply.push_back(data_.count(k) > 0 ? 1 : 0);
      } else {
        break;
      }
    }
    uint32_t n = static_cast<uint32_t>(reply.size());
    if (!write_all(fd, &n, 4) || !write_all(fd, reply.data(), reply.size())) break;
  }
}

}  // namespace distributed
}  // namespace torchlet
