// `hubsim run` listens on loopback only: a developer's emulator holds test keys and must not be
// reachable from the network. Every listening socket of hubsim and its broker is checked, as
// `ss -ltnp` would show them (mosquitto's WebSocket listener once listened on every interface).
#include <doctest/doctest.h>

#include <set>

#include "harness/listening_sockets.hpp"
#include "hubsim_fixture/hubsim_fixture.hpp"

namespace {

using namespace hubgate::test;

TEST_CASE("every listening socket of hubsim run is on loopback") {
    HubsimFixture hub;
    const auto sockets = listening_sockets(hub.process().pid());
    std::set<int> ports;
    for (const auto& socket : sockets) {
        CAPTURE(socket.address);
        CAPTURE(socket.port);
        CHECK(is_loopback(socket.address));
        ports.insert(socket.port);
    }
    // The listeners the ready line names, each found (so the check above saw them all).
    for (const int port : {hub.mqtts_port(), hub.wss_port(), hub.https_port(), hub.dps_port(),
                           hub.x509_port(), hub.dps_x509_port()}) {
        CAPTURE(port);
        CHECK(ports.contains(port));
    }
}

}  // namespace
