// UDP proxies against oracles nobody here wrote (issue 14): iperf3 in UDP
// mode, and dig against dnsmasq, both from Debian, on loopback ports.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
