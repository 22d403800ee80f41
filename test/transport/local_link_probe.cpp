// A LocalLink wired to a Spool that dies (as kill -9 would, no cleanup) inside its commit
// handler: after the message was appended but before the link may release its PUBACK. Used by
// local_link_test to show the broker then still holds the message, and the spool its mid.
//   local_link_probe PORT CLIENT_ID FILTER SPOOL_DIR [hold-sync]
// With hold-sync the spool's sync never returns instead (the link reads on meanwhile), and the
// test kills the probe.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "gateway/spool/spool.hpp"
#include "gateway/transport/local_link.hpp"

int main(int argc, char** argv) {
    if (argc != 5 && argc != 6) {
        std::fprintf(stderr,
                     "usage: local_link_probe PORT CLIENT_ID FILTER SPOOL_DIR [hold-sync]\n");
        return 2;
    }
    const bool hold_sync = argc == 6 && std::string(argv[5]) == "hold-sync";
    std::string error;
    hubgate::spool::SpoolOptions spool_options;
    spool_options.dir = argv[4];
    if (hold_sync) {
        spool_options.fault = [](hubgate::spool::FileOp op, const std::filesystem::path&) {
            while (op == hubgate::spool::FileOp::sync) {
                std::this_thread::sleep_for(std::chrono::seconds{1});
            }
            return 0;
        };
    }
    auto spool = hubgate::spool::Spool::open(spool_options, error);
    if (!spool) {
        std::fprintf(stderr, "%s\n", error.c_str());
        return 2;
    }
    hubgate::transport::LocalLinkOptions options;
    options.port = std::stoi(argv[1]);
    options.client_id = argv[2];
    options.filters = {argv[3]};
    hubgate::transport::LocalLinkHandlers handlers;
    handlers.on_message = [&spool](const hubgate::transport::InboundMessage& message) {
        hubgate::spool::SpoolMessage stored;
        stored.device_id = "dev";
        stored.payload = std::string(message.payload);
        stored.source = {static_cast<std::uint32_t>(message.packet_id),
                         hubgate::spool::source_digest(message.topic, message.payload)};
        const std::string payload = stored.payload;
        const auto result = spool->append(std::move(stored));
        std::printf("taken %s %s\n", payload.c_str(), std::string(result.mid).c_str());
        std::fflush(stdout);
        return hubgate::transport::InboundVerdict::taken;
    };
    handlers.commit = [&spool, hold_sync] {
        if (hold_sync) {
            std::printf("syncing\n");
            std::fflush(stdout);
            return spool->commit();  // never returns
        }
        spool->commit();
        std::printf("committing\n");
        std::fflush(stdout);
        _exit(0);
        return true;
    };
    hubgate::transport::LocalLink link(options, handlers);
    if (!link.start(error)) {
        std::fprintf(stderr, "%s\n", error.c_str());
        return 2;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{60};
    bool announced = false;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!announced && link.counters().subscribed > 0) {
            std::printf("subscribed\n");
            std::fflush(stdout);
            announced = true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    return 1;
}
