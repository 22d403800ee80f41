// The daemon raises its soft open-files limit to the hard one before sessions open sockets.
#include <doctest/doctest.h>
#include <sys/resource.h>

#include "gateway/daemon/open_files_limit.hpp"

TEST_CASE("the soft open-files limit is raised to the hard limit") {
    rlimit before{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &before) == 0);
    if (before.rlim_max < 64) {
        return;  // nothing to lower below
    }
    rlimit lowered = before;
    lowered.rlim_cur = 32;
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);
    CHECK(hubgate::daemon::raise_open_files_limit() == before.rlim_max);
    rlimit after{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &after) == 0);
    CHECK(after.rlim_cur == before.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &before);
}
