// summary.cc — see summary.h.
#include "summary.h"

#include <cmath>

namespace bench {

namespace {

const char* kDirect = "direct";

bool has_group(const ReportInput& in, const char* g) {
  return in.options->groups.count(g) != 0;
}

// "729 (0.38×)": the median, and its ratio to the same figure for direct.
std::string with_ratio(const ReportInput& in, const std::string& relay, const std::string& key,
                       int decimals) {
  const Results& r = *in.results;
  std::string cell = r.cell(relay, key, decimals);
  if (relay != kDirect && r.has(relay, key) && r.has(kDirect, key) && r.get(kDirect, key) > 0) {
    cell += " (" + fmt_num(r.get(relay, key) / r.get(kDirect, key), 2) + "×)";
  }
  return cell;
}

// "+72": `relay`'s figure minus `base`'s.
std::string added_to(const Results& r, const std::string& relay, const std::string& base,
                     const std::string& key) {
  if (relay == base || !r.has(relay, key) || !r.has(base, key)) return "—";
  double d = r.get(relay, key) - r.get(base, key);
  std::string sign = d >= 0 ? "+" : "-";
  return sign + fmt_num(std::fabs(d), 0);
}

// "+72": the relay's figure minus direct's.
std::string added(const ReportInput& in, const std::string& relay, const std::string& key) {
  return added_to(*in.results, relay, kDirect, key);
}

double mean2(const Results& r, const std::string& relay, const std::string& a,
             const std::string& b) {
  return (r.get(relay, a) + r.get(relay, b)) / 2;
}

void print_tables(const ReportInput& in, FILE* out) {
  const Results& r = *in.results;
  if (has_group(in, "bulk")) {
    std::fprintf(out, "\n### Bulk throughput, MB/s (10^6 bytes/s; ratio to direct)\n\n");
    Table t({"relay", "1 stream up", "1 stream down", "8 streams up", "8 streams down",
             "CPU s per GiB", "peak RSS MiB"});
    for (const auto& relay : in.relays) {
      std::vector<std::string> row = {relay};
      for (const auto& cfg : all_bulk_configs()) row.push_back(with_ratio(in, relay, cfg.key(), 0));
      row.push_back(r.cell(relay, kCpuPerGib, 2));
      row.push_back(r.cell(relay, kPeakRssMib, 1));
      t.row(row);
    }
    std::fprintf(out, "%s", t.str().c_str());
  }
  if (has_group(in, "latency")) {
    std::fprintf(out, "\n### Round trip, 64 B ping-pong on one connection, µs\n\n");
    Table t({"relay", "p50", "p99", "added p50", "added p99"});
    for (const auto& relay : in.relays) {
      t.row({relay, r.cell(relay, kRttP50, 1), r.cell(relay, kRttP99, 1), added(in, relay, kRttP50),
             added(in, relay, kRttP99)});
    }
    std::fprintf(out, "%s", t.str().c_str());
  }
  if (has_group(in, "connrate")) {
    std::fprintf(out, "\n### Connections per second (connect, one 64 B round trip, close)\n\n");
    Table t({"relay", "sequential", "50 concurrent"});
    for (const auto& relay : in.relays) {
      t.row({relay, with_ratio(in, relay, kConnSeq, 0), with_ratio(in, relay, kConn50, 0)});
    }
    std::fprintf(out, "%s", t.str().c_str());
  }
  if (has_group(in, "idle")) {
    std::fprintf(
        out,
        "\n### Memory of idle relayed connections (RSS; PSS summed over processes for socat)\n\n");
    std::vector<std::string> header = {"relay", "idle RSS MiB"};
    for (size_t n : in.options->idle_counts)
      header.push_back("KiB per conn at " + fmt_num(static_cast<double>(n), 0));
    Table t(header);
    for (const auto& relay : in.relays) {
      if (relay == kDirect) continue;
      std::vector<std::string> row = {relay, r.cell(relay, kIdleRssMib, 1)};
      for (size_t n : in.options->idle_counts) row.push_back(r.cell(relay, kib_per_conn_key(n), 1));
      t.row(row);
    }
    std::fprintf(out, "%s", t.str().c_str());
  }
  if (has_group(in, "toxics") && !in.variants.empty()) {
    std::fprintf(out,
                 "\n### jinx with toxics on both directions, MB/s (ratio to jinx passthrough)\n\n");
    Table t({"variant", "1 stream up", "1 stream down", "8 streams up", "8 streams down",
             "RTT p50 µs", "added to jinx's p50", "peak RSS MiB"});
    for (const auto& v : in.variants) {
      std::vector<std::string> row = {v};
      for (const auto& cfg : all_bulk_configs()) {
        std::string cell = r.cell(v, cfg.key(), 0);
        if (r.has(v, cfg.key()) && r.has("jinx", cfg.key())) {
          cell += " (" + fmt_num(r.get(v, cfg.key()) / r.get("jinx", cfg.key()), 2) + "×)";
        }
        row.push_back(cell);
      }
      row.push_back(r.cell(v, kRttP50, 1));
      row.push_back(added_to(r, v, "jinx", kRttP50));
      row.push_back(r.cell(v, kPeakRssMib, 1));
      t.row(row);
    }
    std::fprintf(out, "%s", t.str().c_str());
  }
}

// The table of issue 5: one line per relay, directions averaged.
void print_summary(const ReportInput& in, FILE* out) {
  if (!has_group(in, "bulk") || !has_group(in, "latency") || !has_group(in, "connrate")) return;
  const Results& r = *in.results;
  std::fprintf(out, "\n### Summary (throughput: mean of both directions; ratio to direct)\n\n");
  std::string per_conn = kib_per_conn_key(in.options->idle_counts.front());
  Table t({"relay", "1 stream MB/s", "8 streams MB/s", "added RTT p50 µs", "conn/s sequential",
           "conn/s 50 concurrent", "KiB per idle conn", "CPU s per GiB"});
  for (const auto& relay : in.relays) {
    auto tput = [&](int streams) {
      std::string up = "bulk_" + std::to_string(streams) + "_up",
                  down = "bulk_" + std::to_string(streams) + "_down";
      if (!r.has(relay, up) || !r.has(relay, down)) return std::string("—");
      double v = mean2(r, relay, up, down);
      std::string cell = fmt_num(v, 0);
      if (relay != kDirect && r.has(kDirect, up) && r.has(kDirect, down)) {
        cell += " (" + fmt_num(v / mean2(r, kDirect, up, down), 2) + "×)";
      }
      return cell;
    };
    t.row({relay, tput(1), tput(8), added(in, relay, kRttP50), r.cell(relay, kConnSeq, 0),
           r.cell(relay, kConn50, 0), relay == kDirect ? "—" : r.cell(relay, per_conn, 1),
           r.cell(relay, kCpuPerGib, 2)});
  }
  std::fprintf(out, "%s", t.str().c_str());
}

// Issue 5's targets for jinx, each against the figure it names from this run.
void print_targets(const ReportInput& in, FILE* out) {
  const Results& r = *in.results;
  const std::string j = "jinx", h = "haproxy";
  Table t({"target", "jinx", "bound", "met"});
  auto check = [&](const std::string& what, const std::string& relay, const std::string& key,
                   double bound, bool at_most, int decimals) {
    if (!r.has(relay, key) || std::isnan(bound)) return;
    double v = r.get(relay, key);
    bool ok = at_most ? v <= bound : v >= bound;
    t.row({what, fmt_num(v, decimals), (at_most ? "≤ " : "≥ ") + fmt_num(bound, decimals),
           ok ? "yes" : "NO"});
  };
  for (const auto& cfg : all_bulk_configs()) {
    std::string name = std::to_string(cfg.streams) + (cfg.streams == 1 ? " stream " : " streams ") +
                       (cfg.upload ? "up" : "down") + " MB/s ≥ 1.2× haproxy";
    check(name, j, cfg.key(), 1.2 * r.get(h, cfg.key()), false, 0);
  }
  check("CPU s per GiB ≤ 0.8× haproxy", j, kCpuPerGib, 0.8 * r.get(h, kCpuPerGib), true, 2);
  check("added RTT p50 µs ≤ haproxy's", j, kRttP50, r.get(h, kRttP50), true, 1);
  check("RTT p99 µs ≤ 2× direct p99", j, kRttP99, 2 * r.get(kDirect, kRttP99), true, 1);
  check("conn/s sequential ≥ haproxy", j, kConnSeq, r.get(h, kConnSeq), false, 0);
  check("conn/s 50 concurrent ≥ haproxy", j, kConn50, r.get(h, kConn50), false, 0);
  for (size_t n : in.options->idle_counts) {
    check("KiB per idle conn at " + fmt_num(static_cast<double>(n), 0) + " ≤ 4", j,
          kib_per_conn_key(n), 4, true, 1);
  }
  check("idle RSS MiB ≤ 8", j, kIdleRssMib, 8, true, 1);
  check("peak RSS MiB during bulk ≤ 64 (bulk moved " + fmt_num(r.get(j, kBulkGib), 1) + " GiB)", j,
        kPeakRssMib, 64, true, 1);
  for (const auto& cfg : all_bulk_configs()) {
    check("0 ms latency toxic, " + cfg.key() + " ≥ 0.8× passthrough", "jinx+latency0ms", cfg.key(),
          0.8 * r.get(j, cfg.key()), false, 0);
  }
  for (const char* key : {"bulk_1_up", "bulk_1_down"}) {
    check(std::string("100 ms latency toxic, ") + key + " ≥ 200 MB/s", "jinx+latency100ms", key,
          200, false, 0);
  }
  // Issue 11: toxics that never slow this traffic cost next to nothing.
  const std::string bw = "jinx+bandwidth100GB/s";
  for (const char* key : {"bulk_1_up", "bulk_1_down"}) {
    check(std::string("100GB/s bandwidth toxic, ") + key + " ≥ 0.8× passthrough", bw, key,
          0.8 * r.get(j, key), false, 0);
  }
  for (const std::string& v : {std::string("jinx+latency0ms"), bw}) {
    check(v.substr(5) + ": RTT p50 µs ≤ jinx's + 50", v, kRttP50, r.get(j, kRttP50) + 50, true, 1);
  }
  check("conn/s 50 concurrent ≥ 1.1× haproxy (issue 11)", j, kConn50, 1.1 * r.get(h, kConn50),
        false, 0);
  for (size_t n : in.options->idle_counts) {
    check("KiB per idle conn at " + fmt_num(static_cast<double>(n), 0) + " ≤ 3 (issue 11)", j,
          kib_per_conn_key(n), 3, true, 1);
  }
  std::string s = t.str();
  if (s.find("\n", s.find("\n") + 1) + 1 == s.size()) return;  // header only: nothing to check
  std::fprintf(
      out, "\n### Targets of issues 5 and 11 (jinx against haproxy and direct of this run)\n\n%s",
      s.c_str());
}

}  // namespace

void print_report(const ReportInput& in, FILE* out) {
  print_tables(in, out);
  print_summary(in, out);
  print_targets(in, out);
}

}  // namespace bench
