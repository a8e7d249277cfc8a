// GET /metrics (SPEC 10): Toxiproxy's proxy counters in Prometheus' text
// format, with its metric names and labels, then jinx's own.
#include "api_replies.h"
#include "session.h"

namespace jinx {

namespace {

// A Prometheus label value: backslash, quote and newline escaped.
std::string label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

ApiResponse Session::metrics() {
  // Toxiproxy's proxy counters (its names and labels: direction, listener,
  // proxy, upstream; bytes read from the source and written to the
  // destination of each direction), then jinx's own.
  std::string received =
      "# HELP toxiproxy_proxy_received_bytes_total Bytes read from the sending side.\n"
      "# TYPE toxiproxy_proxy_received_bytes_total counter\n";
  std::string sent =
      "# HELP toxiproxy_proxy_sent_bytes_total Bytes written to the receiving side.\n"
      "# TYPE toxiproxy_proxy_sent_bytes_total counter\n";
  std::string open =
      "# HELP jinx_proxy_connections Connections open now.\n"
      "# TYPE jinx_proxy_connections gauge\n";
  std::string accepted =
      "# HELP jinx_proxy_connections_total Connections accepted.\n"
      "# TYPE jinx_proxy_connections_total counter\n";
  std::string toxics =
      "# HELP jinx_proxy_toxics Toxics active now (timeline windows open, API toxics).\n"
      "# TYPE jinx_proxy_toxics gauge\n";
  for (size_t i = 0; i < proxies_.size(); ++i) {
    if (removed_[i]) continue;
    const Proxy& p = *proxies_[i];
    std::string name = label(p.spec().name);
    std::string labels = "proxy=\"" + name + "\",listener=\"" + label(p.bound_address()) +
                         "\",upstream=\"" + label(upstream_text(p.spec())) + "\"";
    uint64_t up = 0;
    uint64_t down = 0;
    p.total_received(&up, &down);
    received += "toxiproxy_proxy_received_bytes_total{direction=\"upstream\"," + labels + "} " +
                std::to_string(up) + "\n";
    received += "toxiproxy_proxy_received_bytes_total{direction=\"downstream\"," + labels + "} " +
                std::to_string(down) + "\n";
    p.total_bytes(&up, &down);
    sent += "toxiproxy_proxy_sent_bytes_total{direction=\"upstream\"," + labels + "} " +
            std::to_string(up) + "\n";
    sent += "toxiproxy_proxy_sent_bytes_total{direction=\"downstream\"," + labels + "} " +
            std::to_string(down) + "\n";
    open += "jinx_proxy_connections{proxy=\"" + name + "\"} " +
            std::to_string(p.open_connections()) + "\n";
    accepted += "jinx_proxy_connections_total{proxy=\"" + name + "\"} " +
                std::to_string(p.accepted()) + "\n";
    size_t active = 0;
    for (const auto& [toxic, state] : open_toxics_) active += toxic_spec(toxic).proxy == i;
    toxics += "jinx_proxy_toxics{proxy=\"" + name + "\"} " + std::to_string(active) + "\n";
  }
  ApiResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = received + sent + open + accepted + toxics +
           "# HELP jinx_api_requests_total Requests answered by the control API.\n"
           "# TYPE jinx_api_requests_total counter\n"
           "jinx_api_requests_total " +
           std::to_string(api_server_ ? api_server_->requests() : 0) + "\n";
  return r;
}

}  // namespace jinx
