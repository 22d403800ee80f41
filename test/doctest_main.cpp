// The doctest runner, compiled once and linked into every test executable (hubgate_doctest_main,
// see cmake/HubgateTargets.cmake): doctest's implementation is ~10 s of compile, which each
// executable used to pay again.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
