#include "resolver.h"

#include <ares.h>
#include <netinet/in.h>

#include <cstdlib>
#include <cstring>

#include "owned_timer.h"

namespace jinx {

// A socket c-ares asked us to watch.
struct Resolver::Watch {
  uv_poll_t poll;
  Resolver* owner;
  int fd;
};

struct Resolver::Lookup {
  Resolver* owner;
  Callback done;  // empty once cancelled
  uint16_t port;
  std::vector<SocketAddress> addresses;
  std::string error;
};

Resolver::Resolver(uv_loop_t* loop)
    : loop_(loop), timer_(new uv_timer_t), ready_timer_(new uv_timer_t) {
  uv_timer_init(loop, timer_);
  uv_timer_init(loop, ready_timer_);
  timer_->data = ready_timer_->data = this;
}

std::unique_ptr<Resolver> Resolver::create(uv_loop_t* loop, std::string* err) {
  static const int library = ares_library_init(ARES_LIB_INIT_ALL);
  if (library != ARES_SUCCESS) {
    *err = std::string("cannot start the resolver: ") + ares_strerror(library);
    return nullptr;
  }
  std::unique_ptr<Resolver> self(new Resolver(loop));
  ares_options options{};
  options.sock_state_cb = &Resolver::on_sock_state;
  options.sock_state_cb_data = self.get();
  options.timeout = kTimeoutMs;
  options.tries = kTries;
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  int rc = ares_init_options(&self->channel_, &options, mask);
  if (rc != ARES_SUCCESS) {
    self->channel_ = nullptr;
    *err = std::string("cannot start the resolver: ") + ares_strerror(rc);
    self->shutdown();
    return nullptr;
  }
  if (const char* servers = std::getenv("JINX_DNS_SERVERS"); servers != nullptr) {
    rc = ares_set_servers_ports_csv(self->channel_, servers);
    if (rc != ARES_SUCCESS) {
      *err =
          std::string("JINX_DNS_SERVERS='") + servers +
          "' is not a list of ip[:port] (e.g. \"127.0.0.1:5353,[::1]:53\"): " + ares_strerror(rc);
      self->shutdown();
      return nullptr;
    }
  }
  return self;
}

Resolver::~Resolver() {
  // shutdown() ran (the session calls it when it ends): nothing is left.
  if (channel_ != nullptr) {
    // Not on a running loop any more: let c-ares close its sockets without
    // telling us, and leave the handles to the loop's owner.
    detached_ = true;
    ares_destroy(channel_);
    channel_ = nullptr;
  }
  for (Lookup* lookup : ready_) delete lookup;
}

Resolver::Lookup* Resolver::resolve(const std::string& host, uint16_t port, Callback done) {
  auto* lookup = new Lookup{this, std::move(done), port, {}, {}};
  if (channel_ == nullptr) {   // after shutdown(): as for the lookups it ended, no callback
    ready_.push_back(lookup);  // freed by the destructor
    return lookup;
  }
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  // ENVHOSTS: the hosts file named by CARES_HOSTS, else /etc/hosts.
  hints.ai_flags = ARES_AI_ENVHOSTS;
  ++pending_;
  // c-ares may answer before returning (from the hosts file): on_result then
  // only queues the lookup, and its callback runs on the next loop turn.
  // No service: c-ares refuses port "0" (listen on any port); the port is
  // set on each address afterwards.
  ares_getaddrinfo(channel_, host.c_str(), nullptr, &hints, &Resolver::on_result, lookup);
  arm_timer();
  return lookup;
}

void Resolver::cancel(Lookup* lookup) {
  // c-ares cannot cancel one query: its answer (or timeout) is ignored.
  lookup->done = nullptr;
}

void Resolver::on_result(void* arg, int status, int /*timeouts*/, ares_addrinfo* result) {
  auto* lookup = static_cast<Lookup*>(arg);
  Resolver* self = lookup->owner;
  --self->pending_;
  if (status == ARES_ECANCELLED || status == ARES_EDESTRUCTION || self->detached_) {
    if (result != nullptr) ares_freeaddrinfo(result);
    delete lookup;
    return;
  }
  if (status == ARES_SUCCESS && result != nullptr) {
    for (ares_addrinfo_node* n = result->nodes; n != nullptr; n = n->ai_next) {
      if (n->ai_family != AF_INET && n->ai_family != AF_INET6) continue;
      if (n->ai_addrlen > sizeof(sockaddr_storage)) continue;
      SocketAddress a;
      std::memcpy(&a.storage, n->ai_addr, n->ai_addrlen);
      a.length = n->ai_addrlen;
      if (a.family() == AF_INET) {
        reinterpret_cast<sockaddr_in*>(&a.storage)->sin_port = htons(lookup->port);
      } else {
        reinterpret_cast<sockaddr_in6*>(&a.storage)->sin6_port = htons(lookup->port);
      }
      lookup->addresses.push_back(a);
    }
  }
  if (lookup->addresses.empty()) {
    lookup->error = status == ARES_SUCCESS ? "no address" : ares_strerror(status);
  }
  if (result != nullptr) ares_freeaddrinfo(result);
  self->ready_.push_back(lookup);
  uv_timer_start(
      self->ready_timer_, [](uv_timer_t* t) { static_cast<Resolver*>(t->data)->deliver_ready(); },
      0, 0);
}

void Resolver::deliver_ready() {
  std::vector<Lookup*> ready;
  ready.swap(ready_);
  for (Lookup* lookup : ready) {
    // Run the callback from a local: it may cancel or start other lookups.
    Callback done = std::move(lookup->done);
    std::vector<SocketAddress> addresses = std::move(lookup->addresses);
    std::string error = std::move(lookup->error);
    delete lookup;
    if (done) done(std::move(addresses), std::move(error));
  }
}

void Resolver::on_sock_state(void* data, int fd, int readable, int writable) {
  auto* self = static_cast<Resolver*>(data);
  if (self->detached_) return;
  self->watch(fd, readable != 0, writable != 0);
}

void Resolver::close_watch(Watch* w) {
  uv_close(reinterpret_cast<uv_handle_t*>(&w->poll),
           [](uv_handle_t* h) { delete static_cast<Watch*>(h->data); });
}

void Resolver::watch(int fd, bool readable, bool writable) {
  auto it = watches_.find(fd);
  if (!readable && !writable) {
    // c-ares closes the socket right after this: stop watching it first.
    if (it == watches_.end()) return;
    close_watch(it->second);
    watches_.erase(it);
    return;
  }
  Watch* w = nullptr;
  if (it == watches_.end()) {
    w = new Watch{{}, this, fd};
    uv_poll_init_socket(loop_, &w->poll, fd);
    w->poll.data = w;
    watches_[fd] = w;
  } else {
    w = it->second;
  }
  int events = (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0);
  uv_poll_start(&w->poll, events, [](uv_poll_t* p, int status, int ready) {
    auto* watch = static_cast<Watch*>(p->data);
    Resolver* self = watch->owner;
    // On an error, let c-ares read and write so it sees the error itself.
    if (status < 0) ready = UV_READABLE | UV_WRITABLE;
    int socket = watch->fd;  // the watch may be closed while c-ares runs
    ares_process_fd(self->channel_, (ready & UV_READABLE) != 0 ? socket : ARES_SOCKET_BAD,
                    (ready & UV_WRITABLE) != 0 ? socket : ARES_SOCKET_BAD);
    self->arm_timer();
  });
}

void Resolver::arm_timer() {
  if (channel_ == nullptr) return;
  timeval buffer{};
  timeval* next = ares_timeout(channel_, nullptr, &buffer);
  if (next == nullptr) {
    uv_timer_stop(timer_);
    return;
  }
  uint64_t ms = static_cast<uint64_t>(next->tv_sec) * 1000 +
                static_cast<uint64_t>((next->tv_usec + 999) / 1000);
  uv_timer_start(
      timer_,
      [](uv_timer_t* t) {
        auto* self = static_cast<Resolver*>(t->data);
        ares_process_fd(self->channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
        self->arm_timer();
      },
      ms, 0);
}

void Resolver::shutdown() {
  if (timer_ == nullptr) return;
  if (channel_ != nullptr) {
    // Ends every query (on_result deletes their lookups) and closes c-ares's
    // sockets (on_sock_state closes their poll handles).
    ares_destroy(channel_);
    channel_ = nullptr;
  }
  for (auto& [fd, w] : watches_) close_watch(w);
  watches_.clear();
  for (Lookup* lookup : ready_) delete lookup;
  ready_.clear();
  close_and_delete_timer(timer_);
  close_and_delete_timer(ready_timer_);
  timer_ = ready_timer_ = nullptr;
}

bool Resolver::resolve_now(const std::string& host, uint16_t port, std::vector<SocketAddress>* out,
                           std::string* err) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::unique_ptr<Resolver> resolver = create(&loop, err);
  bool ok = false;
  if (resolver) {
    resolver->resolve(host, port, [&](std::vector<SocketAddress> addresses, std::string error) {
      ok = error.empty();
      if (ok)
        *out = std::move(addresses);
      else
        *err = std::move(error);
      resolver->shutdown();
    });
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  resolver.reset();
  uv_loop_close(&loop);
  return ok;
}

}  // namespace jinx
