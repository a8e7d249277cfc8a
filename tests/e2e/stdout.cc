// stdout and its reader (issue 9 #1, #2, #6): a reader that stalls never
// stops relaying, one that goes away ends the session as SIGPIPE would, a
// write error is an error, and closed standard descriptors do no harm.
#include <fcntl.h>
// The system header: the harness has a spawn.h of its own on the include path.
#include </usr/include/spawn.h>
#include <sys/wait.h>

#include <csignal>
#include <fstream>

#include "e2e.h"

extern char** environ;

using namespace jinx_test;

namespace {

// A second proxy whose 200 toxics switch on and off every 10 ms for 2 s:
// about 8 MB of events a second, far more than a stalled reader's pipe and
// jinx's 4 MiB queue hold.
std::string flooding_scenario(const std::string& upstream) {
  std::string s = proxy_toml("p", upstream) + proxy_toml("flood", "127.0.0.1:9");
  std::string long_name(50, 'x');
  for (int i = 0; i < 200; ++i) {
    s += "[[toxic]]\nname = \"" + long_name + std::to_string(i) +
         "\"\nproxy = \"flood\"\ntype = \"stall\"\nduration = \"5ms\"\nevery = \"10ms\"\n"
         "repeat = 200\n";
  }
  return s;
}

// Echo round trips on fresh connections for `span`: relaying must go on.
void relay_keeps_going(const std::string& address, ms span) {
  auto until = Clock::now() + span;
  int round = 0;
  while (Clock::now() < until) {
    Socket c = connect_or_throw(address);
    double rtt = echo_rtt_ms(c.fd(), 64, static_cast<uint64_t>(round++));
    CHECK_MESSAGE(rtt < 500, "round " << round << " took " << rtt << " ms");
    std::this_thread::sleep_for(50ms);
  }
  MEASURED("echo rounds while stdout was not read: " << round);
}

struct Spawned {
  ExitStatus status;
  std::string err;
};

// Runs jinx with its standard descriptors as given: a path to open, "-" to
// leave it closed, or "pipe-no-reader" (fd 1 only: a pipe whose reader has
// gone). stderr, unless given, goes to a file that is returned.
Spawned spawn_jinx(const std::vector<std::string>& args, const std::string& in,
                   const std::string& out, const std::string& err = "") {
  TempDir dir;
  std::string err_path = err.empty() ? dir.path() + "/stderr" : err;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  int broken[2] = {-1, -1};
  auto setup = [&](int fd, const std::string& what, int flags) {
    if (what == "-") {
      posix_spawn_file_actions_addclose(&fa, fd);
    } else if (what == "pipe-no-reader") {
      REQUIRE(pipe(broken) == 0);
      close(broken[0]);
      posix_spawn_file_actions_adddup2(&fa, broken[1], fd);
    } else {
      posix_spawn_file_actions_addopen(&fa, fd, what.c_str(), flags, 0644);
    }
  };
  setup(0, in, O_RDONLY);
  setup(1, out, O_WRONLY);
  setup(2, err_path, O_WRONLY | O_CREAT | O_TRUNC);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);  // as a shell leaves it
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  std::vector<std::string> argv_s{JINX_BINARY};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (broken[1] >= 0) close(broken[1]);
  REQUIRE(rc == 0);
  Spawned s;
  auto deadline = Clock::now() + 10000ms;
  int st = 0;
  while (waitpid(pid, &st, WNOHANG) == 0) {
    if (Clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
      s.status.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(5ms);
  }
  if (!s.status.timed_out && WIFEXITED(st)) {
    s.status.exited = true;
    s.status.code = WEXITSTATUS(st);
  } else if (!s.status.timed_out) {
    s.status.signal = WTERMSIG(st);
  }
  std::ifstream f(err_path);
  s.err.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return s;
}

}  // namespace

TEST_SUITE("stdout") {
  TEST_CASE("stdout: a reader that stops reading never stops relaying; SIGTERM ends it in 2 s") {
    EchoServer up;
    auto jinx = JinxProcess::run(flooding_scenario(up.address()));
    INFO(jinx->describe());
    std::string address = jinx->listen_address("p");
    jinx->pause_stdout();  // `jinx run s.toml | sleep 600`
    relay_keeps_going(address, 2500ms);
    auto t0 = Clock::now();
    jinx->send_signal(SIGTERM);
    ExitStatus st = jinx->wait_exit(4000ms);
    double took = ms_since(t0);
    MEASURED("exit after SIGTERM with stdout unread: " << took << " ms");
    REQUIRE_MESSAGE(st.exited, st.str());
    CHECK(st.code == 143);
    CHECK(took <= 2000 + 200);
    CHECK(contains(jinx->stderr_text(), "events dropped: stdout's reader did not keep up"));
  }

  TEST_CASE("stdout: events dropped while the reader stalls are counted, whole lines only") {
    EchoServer up;
    auto jinx = JinxProcess::run(flooding_scenario(up.address()));
    INFO(jinx->describe());
    std::string address = jinx->listen_address("p");
    jinx->pause_stdout();
    relay_keeps_going(address, 2500ms);  // the flood ends at t = 2 s
    jinx->resume_stdout();
    json warning = jinx->wait_event(
        [](const json& e) { return e["event"] == "warning" && e.contains("dropped"); }, 10000ms,
        "warning with dropped");
    uint64_t dropped = warning["dropped"].get<uint64_t>();
    MEASURED("events dropped while stdout was not read: " << dropped);
    CHECK(dropped > 0);
    CHECK(contains(warning["message"].get<std::string>(), std::to_string(dropped) + " events"));
    jinx->send_signal(SIGTERM);
    json end = jinx->wait_event(ev("session_end"), 5000ms);
    CHECK(end["events_dropped"].get<uint64_t>() >= dropped);
    ExitStatus st = jinx->wait_exit(3000ms);
    CHECK(st.code == 143);
    size_t broken = 0;
    for (const Event& e : jinx->lines()) broken += e.body.is_null() ? 1 : 0;
    CHECK(broken == 0);
  }

  TEST_CASE("stdout: a reader that goes away ends the session as SIGPIPE would (141)") {
    EchoServer up;
    auto jinx = JinxProcess::run(proxy_toml("p", up.address()));
    INFO(jinx->describe());
    jinx->listen_address("p");
    auto t0 = Clock::now();
    jinx->close_stdout();  // `jinx run s.toml | head -1`, with no event to come
    ExitStatus st = jinx->wait_exit(3000ms);
    REQUIRE_MESSAGE(st.exited, st.str());
    CHECK(st.code == 141);
    CHECK(ms_since(t0) <= 2000);
  }

  TEST_CASE("stdout: a reader gone before jinx starts gives 141 for every subcommand") {
    TempDir dir;
    std::string file = dir.write("s.toml", "duration = \"5s\"\n" + proxy_toml("p", "127.0.0.1:9"));
    for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
             {"run", file}, {"check", file}, {"plan", file}, {"toxics"}}) {
      CAPTURE(args[0]);
      Spawned s = spawn_jinx(args, "/dev/null", "pipe-no-reader");
      INFO(s.err);
      CHECK(s.status.str() == "exited with code 141");
    }
  }

  TEST_CASE("stdout: a write error (/dev/full) exits 1 with a message, for every subcommand") {
    TempDir dir;
    std::string file = dir.write("s.toml", "duration = \"5s\"\n" + proxy_toml("p", "127.0.0.1:9"));
    for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
             {"run", file}, {"check", file}, {"plan", file}, {"toxics"}}) {
      CAPTURE(args[0]);
      auto t0 = Clock::now();
      Spawned s = spawn_jinx(args, "/dev/null", "/dev/full");
      INFO(s.err);
      CHECK(s.status.str() == "exited with code 1");
      CHECK(contains(s.err, "No space left on device") + contains(s.err, "no space left") == 1);
      CHECK(ms_since(t0) < 3000);  // `run` does not play its 5 s
    }
  }

  TEST_CASE("stdout: closed standard descriptors are reopened; the command still runs") {
    TempDir dir;
    std::string file = dir.write("s.toml", "duration = \"5s\"\n" + proxy_toml("p", "127.0.0.1:9"));
    std::string mark = dir.path() + "/ran";
    std::vector<std::string> args{"run", file, "--", "sh", "-c", "echo $JINX_P_PORT > " + mark};
    for (auto [in, out, err] : std::vector<std::tuple<std::string, std::string, std::string>>{
             {"-", "/dev/null", ""}, {"/dev/null", "-", ""}, {"-", "-", "-"}}) {
      CAPTURE(in);
      CAPTURE(out);
      CAPTURE(err);
      unlink(mark.c_str());
      Spawned s = spawn_jinx(args, in, out, err);
      INFO(s.err);
      CHECK(s.status.str() == "exited with code 0");
      std::ifstream f(mark);
      std::string port;
      f >> port;
      CHECK(!port.empty());
    }
  }
}  // TEST_SUITE
