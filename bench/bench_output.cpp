#include "bench_output.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace hubgate::bench {

std::string json_path_from_args(int argc, char** argv, const char* name) {
    std::string path;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--json" && i + 1 < argc) {
            path = argv[++i];
        } else {
            std::fprintf(stderr, "usage: %s [--json FILE]\n", name);
            std::exit(2);
        }
    }
    return path;
}

void write_json(const std::string& path, const nlohmann::json& document) {
    if (!path.empty())
        std::ofstream(path) << document.dump(2) << "\n";
}

}  // namespace hubgate::bench
