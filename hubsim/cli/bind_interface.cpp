#include "hubsim/cli/bind_interface.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <memory>

namespace hubsim::cli {

std::optional<std::string> interface_with_address(std::string_view address) {
    in_addr wanted{};
    if (::inet_pton(AF_INET, std::string(address).c_str(), &wanted) != 1)
        return std::nullopt;
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0)
        return std::nullopt;
    const std::unique_ptr<ifaddrs, decltype(&::freeifaddrs)> owner(list, &::freeifaddrs);
    for (const ifaddrs* entry = list; entry != nullptr; entry = entry->ifa_next) {
        if (entry->ifa_addr == nullptr || entry->ifa_addr->sa_family != AF_INET)
            continue;
        const auto* ipv4 = reinterpret_cast<const sockaddr_in*>(entry->ifa_addr);
        if (ipv4->sin_addr.s_addr == wanted.s_addr)
            return std::string(entry->ifa_name);
    }
    return std::nullopt;
}

}  // namespace hubsim::cli
