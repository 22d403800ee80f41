// main() and doctest's implementation come from test/doctest_main.cpp, compiled once for every
// test executable (hubgate_doctest_main).
#include <doctest/doctest.h>
