// The command after `--` (issue 9 #4, #13, papercuts): it runs in a process
// group of its own that the session's end reaches whole, it learns each
// proxy's host and port, and its arguments reach the events as valid JSON.
#include <dirent.h>

#include <csignal>
#include <fstream>

#include "e2e.h"

using namespace jinx_test;

namespace {

// Processes (not zombies) whose parent is `parent`.
std::vector<int> live_children(int parent) {
  std::vector<int> found;
  DIR* d = opendir("/proc");
  if (d == nullptr) return found;
  while (dirent* e = readdir(d)) {
    int pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    size_t paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream rest(stat.substr(paren + 2));
    char state = 0;
    int ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent && state != 'Z') found.push_back(pid);
  }
  closedir(d);
  return found;
}

bool alive(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

}  // namespace

TEST_SUITE("command") {
  TEST_CASE("command: the session's end reaches what the command started (its process group)") {
    auto jinx = JinxProcess::run("duration = \"1s\"\n" + proxy_toml("p", "127.0.0.1:9"), {},
                                 {"sh", "-c", "sleep 31; echo done"});
    INFO(jinx->describe());
    int sh = jinx->wait_event(ev("command_start"))["pid"].get<int>();
    std::vector<int> sleeps;
    auto deadline = Clock::now() + 3000ms;
    while (sleeps.empty() && Clock::now() < deadline) {
      sleeps = live_children(sh);
      std::this_thread::sleep_for(10ms);
    }
    REQUIRE_MESSAGE(!sleeps.empty(), "sh started no sleep");
    ExitStatus st = jinx->wait_exit(8000ms);
    REQUIRE_MESSAGE(st.exited, st.str());
    CHECK(st.code == 0);
    json exit = jinx->wait_event(ev("command_exit"));
    CHECK(exit["signal"] == "SIGTERM");
    // The group got SIGTERM with the command: its sleep ends with it.
    auto gone_by = Clock::now() + 2000ms;
    while (alive(sleeps[0]) && Clock::now() < gone_by) std::this_thread::sleep_for(10ms);
    CHECK_FALSE(alive(sleeps[0]));
    if (alive(sleeps[0])) kill(sleeps[0], SIGKILL);
    CHECK_FALSE(contains(jinx->stderr_text(), "done"));
  }

  TEST_CASE("command: JINX_<PROXY>_HOST and _PORT beside JINX_<PROXY>") {
    auto jinx = JinxProcess::run(
        proxy_toml("db-main", "127.0.0.1:9"), {},
        {"sh", "-c", "echo \"$JINX_DB_MAIN|$JINX_DB_MAIN_HOST|$JINX_DB_MAIN_PORT\" >&2"});
    INFO(jinx->describe());
    std::string address = jinx->listen_address("db-main");
    ExitStatus st = jinx->wait_exit(5000ms);
    CHECK(st.code == 0);
    std::string port = address.substr(address.rfind(':') + 1);
    CHECK(contains(jinx->stderr_text(), address + "|127.0.0.1|" + port));
  }

  TEST_CASE("command: arguments that are not UTF-8 or hold a newline keep every line valid") {
    std::vector<std::string> command{"printf", "x\xff\n", "a b", "c,d"};
    auto jinx = JinxProcess::run(proxy_toml("p", "127.0.0.1:9"), {}, command);
    INFO(jinx->describe());
    json start = jinx->wait_event(ev("command_start"));
    CHECK(start["argv"][1] == "x\xef\xbf\xbd\n");  // U+FFFD
    jinx->wait_exit(5000ms);
    for (const Event& e : jinx->lines()) CHECK_MESSAGE(!e.body.is_null(), e.raw);

    auto text = JinxProcess::run(proxy_toml("p", "127.0.0.1:9"), {"--format", "text"}, command);
    text->wait_exit(5000ms);
    std::string out;
    for (const Event& e : text->lines()) out += e.raw + "\n";
    INFO(out);
    CHECK(contains(out, "argv=printf,\"x\xef\xbf\xbd\\n\",\"a b\",\"c,d\""));
  }

  TEST_CASE("command: a signal during the last events' drain still exits with 128+N") {
    // The reader never reads: after SIGTERM jinx shuts down, then waits up
    // to a second for its events to go out; a SIGINT then must still be
    // handled (exit 130), not kill jinx.
    EchoServer up;
    std::string s = proxy_toml("p", up.address());
    for (int i = 0; i < 50; ++i) {
      s += "[[toxic]]\nname = \"flood" + std::to_string(i) +
           "\"\nproxy = \"p\"\ntype = \"stall\"\nduration = \"5ms\"\nevery = \"10ms\"\n";
    }
    auto jinx = JinxProcess::run(s);
    INFO(jinx->describe());
    jinx->listen_address("p");
    jinx->pause_stdout();
    std::this_thread::sleep_for(1000ms);
    jinx->send_signal(SIGTERM);
    std::this_thread::sleep_for(300ms);
    auto t0 = Clock::now();
    jinx->send_signal(SIGINT);
    ExitStatus st = jinx->wait_exit(3000ms);
    REQUIRE_MESSAGE(st.exited, st.str());
    CHECK(st.code == 130);
    CHECK(ms_since(t0) <= 1000);
  }
  TEST_CASE("command: run's help shows [-- COMMAND...]; each footer lists its own exit codes") {
    Completed run = run_jinx({"run", "--help"});
    std::string run_help = joined(run.out);
    INFO(run_help);
    CHECK(run.status.code == 0);
    CHECK(contains(run_help, "SCENARIO [-- COMMAND [ARG...]]"));
    CHECK(contains(run_help, "JINX_<PROXY>_HOST"));
    CHECK(contains(run_help, "COMMAND's status"));
    for (const char* sub : {"check", "plan", "toxics"}) {
      CAPTURE(sub);
      Completed c = run_jinx({"help", sub});
      std::string help = joined(c.out);
      INFO(help);
      CHECK(c.status.code == 0);
      CHECK(contains(help, "Exit codes: 0"));
      CHECK_FALSE(contains(help, "COMMAND"));
      CHECK_FALSE(contains(help, "128+N"));
    }
  }
}  // TEST_SUITE
