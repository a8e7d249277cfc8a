// Security defaults: a listener anyone can reach is worth a warning.
#include "hostile.h"

using namespace jinx_test;

TEST_SUITE("hostile") {
  TEST_CASE("a listener on a non-loopback address prints a warning event") {
    EchoServer up;
    std::string scenario =
        "[[proxy]]\nname = \"open\"\nlisten = \"0.0.0.0:0\"\nupstream = \"" + up.address() + "\"\n";
    auto jinx = JinxProcess::run(scenario);
    json listen = jinx->wait_event(ev("proxy_listen").with("proxy", "open"));
    json warning = jinx->wait_event(ev("warning"));
    std::string message = warning["message"].get<std::string>();
    CHECK(contains(message, "open"));  // names the proxy
    CHECK(contains(message, "loopback"));
    CHECK(contains(message, listen["listen"].get<std::string>()));
    // Nothing connects to it: the listener is reachable from outside.
    ends_cleanly(*jinx);
  }

  TEST_CASE("a loopback listener prints no warning") {
    EchoServer up;
    auto jinx = JinxProcess::run(proxy_toml("closed", up.address()));
    jinx->listen_address("closed");
    ends_cleanly(*jinx);
    CHECK(jinx->find(ev("warning")).empty());
  }

}  // TEST_SUITE
