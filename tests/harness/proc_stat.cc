#include "proc_stat.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace jinx_test {
namespace {

// The fields of /proc/PID/stat after the command name, which is in
// parentheses and may itself hold spaces or parentheses: split after the
// last ')'. fields[0] is the state (field 3 in proc(5)).
bool stat_fields(pid_t pid, std::vector<std::string>* fields) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  auto close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(line.substr(close + 1));
  fields->clear();
  for (std::string f; rest >> f;) fields->push_back(f);
  return fields->size() > 15;
}

double ticks_to_s(const std::string& t) {
  static const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  return static_cast<double>(std::strtoull(t.c_str(), nullptr, 10)) / hz;
}

// utime and stime are fields 14 and 15 of proc(5); cutime, cstime 16, 17.
double own_cpu(const std::vector<std::string>& f) {
  return ticks_to_s(f[11]) + ticks_to_s(f[12]);
}
double reaped_children_cpu(const std::vector<std::string>& f) {
  return ticks_to_s(f[13]) + ticks_to_s(f[14]);
}

}  // namespace

long status_kib(pid_t pid, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key = std::string(field) + ":";
  for (std::string line; std::getline(in, line);) {
    if (line.compare(0, key.size(), key) == 0) return std::atol(line.c_str() + key.size());
  }
  return -1;
}

long rss_kib(pid_t pid) {
  return status_kib(pid, "VmRSS");
}

long pss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
  for (std::string line; std::getline(in, line);) {
    if (line.compare(0, 4, "Pss:") == 0) return std::atol(line.c_str() + 4);
  }
  return -1;
}

double cpu_seconds(pid_t pid) {
  std::vector<std::string> f;
  return stat_fields(pid, &f) ? own_cpu(f) : 0;
}

double tree_cpu_seconds(pid_t pid) {
  std::vector<std::string> f;
  if (!stat_fields(pid, &f)) return 0;
  double cpu = own_cpu(f) + reaped_children_cpu(f);
  for (pid_t c : children_of(pid)) {
    if (stat_fields(c, &f)) cpu += own_cpu(f);
  }
  return cpu;
}

int open_fds(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = opendir(path.c_str());
  if (!d) return -1;
  int n = 0;
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n;
}

std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  DIR* d = opendir("/proc");
  if (d == nullptr) return out;
  std::vector<std::string> f;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    pid_t p = static_cast<pid_t>(std::atoi(e->d_name));
    if (stat_fields(p, &f) && std::atoi(f[1].c_str()) == pid) out.push_back(p);
  }
  closedir(d);
  return out;
}

TreeMemory tree_memory(pid_t pid, bool pss) {
  TreeMemory m;
  if (!pss) {
    m.kib = rss_kib(pid);
    m.processes = 1;
    return m;
  }
  m.pss = true;
  m.kib = 0;
  std::vector<pid_t> kids = children_of(pid);
  kids.push_back(pid);
  for (pid_t p : kids) {
    long k = pss_kib(p);
    if (k > 0) {
      m.kib += k;
      ++m.processes;
    }
  }
  return m;
}

}  // namespace jinx_test
