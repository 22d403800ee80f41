#pragma once
// The build's version (cmake/Version.cmake): what `hubgate --version` and `hubsim --version`
// print, and the .deb's version.

#include <string_view>

namespace hubgate::cli {

// A Debian version derived from `git describe` ("0.1.0~git162.g49b3d1a123").
std::string_view version();
// git's own description of the source ("49b3d1a123-dirty", "v0.2.0-5-g...", or "none").
std::string_view git_description();

}  // namespace hubgate::cli
