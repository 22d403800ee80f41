#include "harness/listening_sockets.hpp"

#include <arpa/inet.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace hubgate::test {

namespace {

namespace fs = std::filesystem;

constexpr const char* kListenState = "0A";       // TCP_LISTEN in /proc/net/tcp's "st" column
constexpr const char* kEstablishedState = "01";  // TCP_ESTABLISHED

std::vector<pid_t> process_tree(pid_t root) {
    std::vector<pid_t> tree{root};
    for (size_t i = 0; i < tree.size(); ++i) {
        const auto task_dir = "/proc/" + std::to_string(tree[i]) + "/task";
        std::error_code ec;
        for (const auto& task : fs::directory_iterator(task_dir, ec)) {
            std::ifstream children(task.path() / "children");
            for (pid_t child = 0; children >> child;)
                tree.push_back(child);
        }
    }
    return tree;
}

// The socket inodes a process holds ("socket:[12345]" links in /proc/PID/fd).
std::vector<unsigned long> socket_inodes(pid_t pid) {
    std::vector<unsigned long> inodes;
    std::error_code ec;
    for (const auto& fd : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
        std::error_code link_ec;
        const auto target = fs::read_symlink(fd.path(), link_ec).string();
        if (!link_ec && target.starts_with("socket:["))
            inodes.push_back(std::stoul(target.substr(8)));
    }
    return inodes;
}

// /proc/net/tcp{,6} hold addresses as hex of the in-memory bytes, 32-bit word by word.
std::string decode_address(const std::string& hex) {
    unsigned char bytes[16] = {};
    const size_t words = hex.size() / 8;
    for (size_t w = 0; w < words; ++w) {
        const auto word = static_cast<uint32_t>(std::stoul(hex.substr(w * 8, 8), nullptr, 16));
        for (int b = 0; b < 4; ++b)
            bytes[w * 4 + b] = static_cast<unsigned char>(word >> (8 * b));
    }
    char text[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(words == 1 ? AF_INET : AF_INET6, bytes, text, sizeof text);
    return text;
}

struct Endpoint {
    std::string address;
    int port = 0;
};

// Listening sockets of the whole network namespace by inode.
std::map<unsigned long, Endpoint> listening_by_inode() {
    std::map<unsigned long, Endpoint> found;
    for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        std::ifstream in(table);
        std::string line;
        std::getline(in, line);  // header
        while (std::getline(in, line)) {
            std::istringstream fields(line);
            std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout;
            unsigned long inode = 0;
            fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
                timeout >> inode;
            if (!fields || state != kListenState)
                continue;
            const auto colon = local.find(':');
            found[inode] = {decode_address(local.substr(0, colon)),
                            static_cast<int>(std::stoul(local.substr(colon + 1), nullptr, 16))};
        }
    }
    return found;
}

}  // namespace

std::vector<ListeningSocket> listening_sockets(pid_t pid) {
    const auto listening = listening_by_inode();
    std::vector<ListeningSocket> sockets;
    for (const pid_t member : process_tree(pid)) {
        for (const auto inode : socket_inodes(member)) {
            if (const auto it = listening.find(inode); it != listening.end())
                sockets.push_back({member, it->second.address, it->second.port});
        }
    }
    return sockets;
}

bool is_loopback(const std::string& address) {
    return address.starts_with("127.") || address == "::1" || address.starts_with("::ffff:127.");
}

int established_connections_to(int port) {
    std::ifstream table("/proc/net/tcp");
    std::string line;
    std::getline(table, line);  // header
    int count = 0;
    while (std::getline(table, line)) {
        std::istringstream fields(line);
        std::string slot, local, remote, state;
        fields >> slot >> local >> remote >> state;
        const auto colon = remote.find(':');
        if (fields && colon != std::string::npos && state == kEstablishedState &&
            std::stoi(remote.substr(colon + 1), nullptr, 16) == port)
            ++count;
    }
    return count;
}

}  // namespace hubgate::test
