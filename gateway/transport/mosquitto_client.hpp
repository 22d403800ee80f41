#pragma once
// Creating and configuring a libmosquitto client object for the local link.

#include <memory>
#include <string>

#include "gateway/transport/local_link_options.hpp"

struct mosquitto;

namespace hubgate::transport {

struct MosquittoDeleter {
    void operator()(mosquitto* client) const;
};
using MosquittoPtr = std::unique_ptr<mosquitto, MosquittoDeleter>;

// mosquitto_lib_init(), once per process, for every libmosquitto client hubgate makes (the
// local link's and the device sessions').
void init_mosquitto_library();

// A client with our fixed id and clean_session=false, credentials and TLS from `options`, in
// "threaded" mode: libmosquitto then only queues outgoing packets (PUBACKs included) and the
// link decides when they are written (after its commit). `userdata` is passed to callbacks.
// Returns null and sets `error` (never containing the password) on failure.
MosquittoPtr make_mosquitto_client(const LocalLinkOptions& options, void* userdata,
                                   std::string& error);

}  // namespace hubgate::transport
