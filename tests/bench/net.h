// net.h — the few socket helpers the bench tools share.
//
// Everything here is plain POSIX on loopback. Blocking helpers take a timeout
// so that no loop in the bench can hang on a relay that stopped relaying: a
// benchmark of a chaos proxy must survive the proxy misbehaving.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "epoll_server.h"

namespace bench {

// The upstream of every measurement: the harness's epoll server.
using jinx_test::EpollServer;
using jinx_test::ServeMode;

// Monotonic seconds; the only clock the bench reads.
double now_s();
void sleep_s(double seconds);

// A resolved socket address (IPv4 or IPv6).
struct Endpoint {
  sockaddr_storage sa{};
  socklen_t len = 0;
  std::string text;  // "host:port" as given or as bound
};

// "host:port" or "[v6]:port"; host may be a name. false + err on failure.
bool resolve(const std::string& host_port, Endpoint* out, std::string* err);
Endpoint loopback(uint16_t port);  // 127.0.0.1:port

// Parses "250ms", "1.5s", "100us", "2m"; a bare number is milliseconds.
bool parse_duration(const std::string& text, double* seconds);

// Binds and listens (the largest backlog); port 0 picks a free port,
// written to *bound.
int listen_tcp(const std::string& host, uint16_t port, uint16_t* bound, std::string* err);

// A port that was free a moment ago (bind to 0, read, close). Racy by
// nature, but on a quiet loopback the kernel does not hand it out again
// soon: ephemeral ports are chosen from another range.
uint16_t pick_free_port();

// Connects within timeout_s. Returns a blocking fd whose reads and writes
// time out after io_timeout_s (SO_RCVTIMEO/SO_SNDTIMEO), or -1 with *err_no.
int connect_tcp(const Endpoint& to, double timeout_s, double io_timeout_s, int* err_no);

void set_nonblocking(int fd, bool on);
void set_nodelay(int fd);
void set_io_timeout(int fd, double seconds);

// Write all of buf (blocking fd with timeouts). false + *err_no on failure;
// EAGAIN means the timeout elapsed.
bool write_all(int fd, const void* buf, size_t n, int* err_no);

// Reads exactly n bytes unless EOF (returns fewer, *err_no = 0) or an error
// (returns fewer, *err_no set; EAGAIN = timeout).
size_t read_full(int fd, void* buf, size_t n, int* err_no);

// Closes with an RST instead of a FIN (SO_LINGER 0).
void close_reset(int fd);

}  // namespace bench
