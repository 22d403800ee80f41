#pragma once
// The TCP sockets a process tree listens on, read from /proc (the sockets its file descriptors
// hold, matched with /proc/net/tcp and tcp6): what `ss -ltnp` shows for those PIDs. And how
// many IPv4 connections this host has open to a port.

#include <sys/types.h>

#include <string>
#include <vector>

namespace hubgate::test {

struct ListeningSocket {
    pid_t pid = 0;
    std::string address;  // "127.0.0.1", "::", "::ffff:127.0.0.1", ...
    int port = 0;
};

// Every TCP socket in LISTEN state held by `pid` or any of its descendants.
std::vector<ListeningSocket> listening_sockets(pid_t pid);

// Established IPv4 TCP connections whose remote port is `port` (their client side), in this
// network namespace, from /proc/net/tcp.
int established_connections_to(int port);

// 127.0.0.0/8, ::1, or an IPv4-mapped 127.x address.
bool is_loopback(const std::string& address);

}  // namespace hubgate::test
