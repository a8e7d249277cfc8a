#include "conn_log.h"

namespace jinx_test {

void ConnLog::open(int index, Clock::time_point accepted) {
  std::lock_guard lock(mu_);
  ConnRecord& r = conns_[index];
  r.index = index;
  r.accepted = accepted;
  fnv_[index] = Fnv1a64();
  cv_.notify_all();
}

void ConnLog::received(int index, const char* data, size_t n) {
  auto now = Clock::now();
  std::lock_guard lock(mu_);
  ConnRecord& r = conns_[index];
  Fnv1a64& fnv = fnv_[index];
  fnv.update(data, n);
  r.digest = fnv.value();
  r.bytes += n;
  r.arrivals.push_back({now, n});
  if (keep_data_) r.data.append(data, n);
  cv_.notify_all();
}

void ConnLog::sent(int index, uint64_t n, int error) {
  std::lock_guard lock(mu_);
  ConnRecord& r = conns_[index];
  r.sent += n;
  if (error) r.send_error = error;
}

void ConnLog::finish(int index, bool eof, int error) {
  std::lock_guard lock(mu_);
  ConnRecord& r = conns_[index];
  r.eof = eof;
  r.error = error;
  r.done = true;
  r.finished = Clock::now();
  cv_.notify_all();
}

std::optional<ConnRecord> ConnLog::wait_done(int index, ms timeout) {
  std::unique_lock lock(mu_);
  bool ok = cv_.wait_for(lock, timeout, [&] {
    auto it = conns_.find(index);
    return it != conns_.end() && it->second.done;
  });
  if (!ok) return std::nullopt;
  return conns_[index];
}

bool ConnLog::wait_bytes(int index, uint64_t n, ms timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] {
    auto it = conns_.find(index);
    return it != conns_.end() && (it->second.bytes >= n || it->second.done);
  }) && conns_[index].bytes >= n;
}

bool ConnLog::wait_opened(size_t n, ms timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return conns_.size() >= n; });
}

ConnRecord ConnLog::get(int index) {
  std::lock_guard lock(mu_);
  auto it = conns_.find(index);
  return it == conns_.end() ? ConnRecord{} : it->second;
}

size_t ConnLog::opened() {
  std::lock_guard lock(mu_);
  return conns_.size();
}

}  // namespace jinx_test
