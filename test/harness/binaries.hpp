#pragma once
// The executables under test, in the build tree: HUBGATE_BIN_DIR is set for every test target
// (cmake/HubgateTargets.cmake).
#include <string>

namespace hubgate::test {

inline const std::string kHubgate = std::string(HUBGATE_BIN_DIR) + "/hubgate";

}  // namespace hubgate::test
