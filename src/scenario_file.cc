#include "scenario_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "loader.h"

namespace jinx {
namespace {

// Reads at most kMaxScenarioBytes + 1 bytes of `fd`: one more than allowed
// tells that it is too large, without reading the rest.
bool read_bounded(int fd, std::string* text, std::string* err) {
  text->clear();
  char buf[65536];
  while (text->size() <= kMaxScenarioBytes) {
    size_t room = kMaxScenarioBytes + 1 - text->size();
    ssize_t n = read(fd, buf, std::min(sizeof buf, room));
    if (n == 0) return true;
    if (n < 0) {
      if (errno == EINTR) continue;
      *err = std::string("cannot read: ") + std::strerror(errno);
      return false;
    }
    text->append(buf, static_cast<size_t>(n));
  }
  return true;
}

// The file's text, or a diagnostic.
std::optional<Diagnostic> read_scenario(const std::string& path, std::string* text) {
  int fd = path == "-" ? STDIN_FILENO : open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Diagnostic{{0, 0}, false, std::string("cannot open: ") + std::strerror(errno)};
  struct stat st {};
  std::string err;
  bool ok = true;
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    err = "cannot read: it is a directory";
    ok = false;
  } else {
    ok = read_bounded(fd, text, &err);
  }
  if (fd != STDIN_FILENO) close(fd);
  if (!ok) return Diagnostic{{0, 0}, false, err};
  if (text->size() > kMaxScenarioBytes) {
    std::string size = S_ISREG(st.st_mode) ? std::to_string(st.st_size) + " bytes"
                                           : "more than " + std::to_string(kMaxScenarioBytes);
    return Diagnostic{{1, 1},
                      false,
                      "file is too large (" + size + "; a scenario is at most " +
                          std::to_string(kMaxScenarioBytes) + ")"};
  }
  return std::nullopt;
}

}  // namespace

LoadResult load_scenario_file(const std::string& path) {
  std::string text;
  if (auto problem = read_scenario(path, &text)) {
    LoadResult result;
    result.diagnostics.push_back(*problem);
    return result;
  }
  return load_scenario_text(text, path == "-" ? "<stdin>" : path);
}

std::optional<Scenario> load_and_report(const std::string& path) {
  std::string name = path == "-" ? "<stdin>" : path;
  LoadResult result = load_scenario_file(path);
  for (const auto& d : result.diagnostics) {
    std::fprintf(stderr, "%s\n", format_diagnostic(name, d).c_str());
  }
  return std::move(result.scenario);
}

}  // namespace jinx
