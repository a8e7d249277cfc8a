#include "status_line.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "proxy.h"
#include "session.h"
#include "timeline.h"

namespace jinx {
namespace {

std::string clock_text(Micros us) {
  long long s = us / kMicrosPerSecond;
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  }
  return buf;
}

int terminal_width() {
  winsize ws{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

// Terminal columns of UTF-8 text (the bar's characters are one column each).
size_t columns_of(const std::string& text) {
  size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

}  // namespace

std::string toxic_list(const std::vector<std::string>& names, size_t room) {
  if (names.empty()) return "none";
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    std::string next = (i > 0 ? ", " : "") + names[i];
    size_t left = names.size() - i - 1;
    // Room for this name, and for "+N more" after it if others follow.
    std::string more = left > 0 ? ", +" + std::to_string(left) + " more" : "";
    if (out.size() + next.size() + more.size() > room) {
      std::string rest = "+" + std::to_string(names.size() - i) + " more";
      return out.empty() ? rest : out + ", " + rest;
    }
    out += next;
  }
  return out;
}

std::string human_bytes(uint64_t bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f%s" : "%.1f%s", v, units[u]);
  return buf;
}

std::unique_ptr<StatusLine> StatusLine::create(Session& session, const Timeline& timeline,
                                               const std::vector<std::unique_ptr<Proxy>>& proxies,
                                               Micros t0, std::optional<Micros> duration) {
  if (isatty(STDERR_FILENO) == 0) return nullptr;
  return std::make_unique<StatusLine>(session, timeline, proxies, t0, duration);
}

StatusLine::StatusLine(Session& session, const Timeline& timeline,
                       const std::vector<std::unique_ptr<Proxy>>& proxies, Micros t0,
                       std::optional<Micros> duration)
    : session_(session), timeline_(timeline), proxies_(proxies), t0_(t0), duration_(duration) {
  // Keeps the line moving while the loop is otherwise idle. Closed with every
  // other handle at the session's end; this object outlives the loop run.
  uv_timer_init(session.loop(), &timer_);
  timer_.data = this;
  uv_timer_start(
      &timer_, [](uv_timer_t* t) { static_cast<StatusLine*>(t->data)->maybe_draw(); }, 100, 100);
  uv_unref(reinterpret_cast<uv_handle_t*>(&timer_));
}

std::string StatusLine::render(int width) const {
  Micros elapsed = session_.now() - t0_;
  std::string line;
  if (elapsed < 0) {
    line = "starting in " + clock_text(-elapsed + kMicrosPerSecond - 1);
  } else if (duration_) {
    int bar = 20;
    double fraction = static_cast<double>(elapsed) / static_cast<double>(*duration_);
    int filled = static_cast<int>(fraction * bar);
    if (filled > bar) filled = bar;
    line = "[";
    for (int i = 0; i < bar; ++i) line += i < filled ? "\u2588" : "\u2591";
    line += "] " + clock_text(elapsed) + "/" + clock_text(*duration_);
  } else {
    line = clock_text(elapsed);
  }
  size_t open = 0;
  size_t flows = 0;
  bool udp = false;
  uint64_t up = 0;
  uint64_t down = 0;
  FlowTotals datagrams = session_.flow_totals();
  for (const auto& p : proxies_) {
    bool flows_here = p->spec().protocol == ProxyProtocol::udp;
    udp = udp || flows_here;
    (flows_here ? flows : open) += p->open_connections();
    p->live_bytes(&up, &down);
    p->live_flow_totals(&datagrams);
  }
  up += session_.closed_bytes_up();
  down += session_.closed_bytes_down();
  line += "  conns " + std::to_string(open);
  if (udp) {
    line += "  flows " + std::to_string(flows) + "  dropped " + std::to_string(datagrams.dropped);
  }
  line += "  up " + human_bytes(up) + "  down " + human_bytes(down) + "  toxics: ";
  std::vector<std::string> names;
  for (size_t toxic : timeline_.active()) names.push_back(session_.scenario().toxics[toxic].name);
  size_t used = columns_of(line);
  size_t room = static_cast<size_t>(std::max(width - 1, 0));
  line += toxic_list(names, room > used ? room - used : 0);
  // Cut to the width (a terminal too narrow for even "+N more"), counting
  // the bar's multi-byte characters as one column.
  std::string out;
  int columns = 0;
  for (size_t i = 0; i < line.size() && columns < width - 1; ++columns) {
    auto lead = static_cast<unsigned char>(line[i]);
    size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    out.append(line, i, length);
    i += length;
  }
  return out;
}

void StatusLine::maybe_draw() {
  Micros now = session_.now();
  if (last_draw_ >= 0 && now - last_draw_ < 100 * kMicrosPerMs) return;
  last_draw_ = now;
  std::string line = "\r\x1b[K" + render(terminal_width());
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
  drawn_ = true;
}

void StatusLine::clear() {
  if (!drawn_) return;
  std::fputs("\r\x1b[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
}

void StatusLine::finish() {
  clear();
  uv_timer_stop(&timer_);
}

}  // namespace jinx
