#include "servers.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <thread>
#include <vector>

#include "byte_stream.h"

namespace jinx_test {
namespace {

constexpr size_t kChunk = 1 << 16;

// Sends bytes [0, n) of stream `seed`; records what went out.
void send_stream_blocking(ServerConn& c, ConnLog& log, uint64_t n, uint64_t seed) {
  std::vector<char> buf(kChunk);
  for (uint64_t off = 0; off < n;) {
    size_t k = static_cast<size_t>(std::min<uint64_t>(buf.size(), n - off));
    stream_fill(seed, off, buf.data(), k);
    int err = send_blocking(c.fd, buf.data(), k);
    if (err) {
      log.sent(c.index, 0, err);
      return;
    }
    log.sent(c.index, k, 0);
    off += k;
  }
}

// Reads into the log until EOF or error; `each` sees every chunk.
template <typename Each>
void read_all(ServerConn& c, ConnLog& log, Each each) {
  std::vector<char> buf(kChunk);
  for (;;) {
    ssize_t n = recv(c.fd, buf.data(), buf.size(), 0);
    if (n > 0) {
      log.received(c.index, buf.data(), static_cast<size_t>(n));
      if (!each(buf.data(), static_cast<size_t>(n))) {
        log.finish(c.index, false, 0);
        return;
      }
    } else if (n == 0) {
      log.finish(c.index, true, 0);
      return;
    } else if (errno != EINTR) {
      log.finish(c.index, false, errno);
      return;
    }
  }
}

}  // namespace

LoggedServer::LoggedServer(bool keep_data, Handler handler)
    : log_(keep_data), server_([this, handler = std::move(handler)](ServerConn& c) {
        log_.open(c.index, c.accepted);
        handler(c, log_);
      }) {}

EchoServer::EchoServer()
    : LoggedServer(false, [](ServerConn& c, ConnLog& log) {
        bool send_ok = true;
        std::vector<char> buf(kChunk);
        for (;;) {
          ssize_t n = recv(c.fd, buf.data(), buf.size(), 0);
          if (n > 0) {
            log.received(c.index, buf.data(), static_cast<size_t>(n));
            if (send_ok) {
              int err = send_blocking(c.fd, buf.data(), static_cast<size_t>(n));
              log.sent(c.index, err ? 0 : static_cast<uint64_t>(n), err);
              send_ok = err == 0;
            }
          } else if (n == 0) {
            shutdown(c.fd, SHUT_WR);
            log.finish(c.index, true, 0);
            return;
          } else if (errno != EINTR) {
            log.finish(c.index, false, errno);
            return;
          }
        }
      }) {}

SinkServer::SinkServer(bool keep_data)
    : LoggedServer(keep_data, [](ServerConn& c, ConnLog& log) {
        read_all(c, log, [](const char*, size_t) { return true; });
      }) {}

SourceServer::SourceServer(uint64_t bytes, uint64_t seed, bool keep_data)
    : LoggedServer(keep_data, [bytes, seed](ServerConn& c, ConnLog& log) {
        std::thread sender([&] {
          send_stream_blocking(c, log, bytes, seed);
          shutdown(c.fd, SHUT_WR);
        });
        read_all(c, log, [](const char*, size_t) { return true; });
        sender.join();
      }) {}

ReplyAfterEofServer::ReplyAfterEofServer(uint64_t reply_bytes, uint64_t seed)
    : LoggedServer(false, [reply_bytes, seed](ServerConn& c, ConnLog& log) {
        std::vector<char> buf(kChunk);
        bool eof = false;
        int error = 0;
        for (;;) {
          ssize_t n = recv(c.fd, buf.data(), buf.size(), 0);
          if (n > 0) {
            log.received(c.index, buf.data(), static_cast<size_t>(n));
          } else if (n == 0) {
            eof = true;
            break;
          } else if (errno != EINTR) {
            error = errno;
            break;
          }
        }
        if (eof) {
          send_stream_blocking(c, log, reply_bytes, seed);
          shutdown(c.fd, SHUT_WR);
        }
        log.finish(c.index, eof, error);
      }) {}

NoReadServer::NoReadServer()
    : LoggedServer(false, [](ServerConn& c, ConnLog& log) {
        while (!c.server->wait_stopping(1000ms)) {
        }
        log.finish(c.index, false, 0);
      }) {}

ResetServer::ResetServer()
    : LoggedServer(false, [](ServerConn& c, ConnLog& log) {
        read_all(c, log, [](const char*, size_t) { return false; });
        linger lg{1, 0};
        setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      }) {}

}  // namespace jinx_test
