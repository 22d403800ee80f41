// A stand-in daemon for the control socket tests: serves a fixed snapshot on the socket named by
// argv[1] until SIGTERM. Reports whether systemd-style socket activation handed it the socket.
#include <csignal>
#include <cstdio>

#include "gateway/control/control_server.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: control_probe SOCKET\n");
        return 2;
    }
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // before the server's thread starts

    // Set before start(), so the server's thread sees it.
    const hubgate::control::ControlServer* self = nullptr;
    hubgate::control::ControlServer server([&] {
        const bool activated = self->socket_activated();
        hubgate::control::StatusSnapshot snapshot;
        hubgate::control::SessionStatus session;
        session.device_id = "probe-device";
        session.state = "connected";
        snapshot.sessions.push_back(session);
        snapshot.counters = {{"socket_activated", activated ? 1 : 0}};
        return snapshot;
    });
    self = &server;
    if (auto error = server.start(argv[1])) {
        std::fprintf(stderr, "control_probe: %s\n", error->c_str());
        return 1;
    }
    std::printf("control_probe: serving (socket activated: %s)\n",
                server.socket_activated() ? "yes" : "no");
    std::fflush(stdout);
    int signal = 0;
    sigwait(&stop_signals, &signal);
    return 0;
}
