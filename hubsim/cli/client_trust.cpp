#include "hubsim/cli/client_trust.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "hubsim/common/trust_dir.hpp"

namespace hubsim::cli {

namespace fs = std::filesystem;

void prepare_client_trust_dir(const fs::path& dir, const fs::path& hub_ca,
                              const std::vector<fs::path>& trusted) {
    // What an earlier run trusted (a CA since removed from the config) is not trusted now.
    fs::remove_all(dir);
    std::vector<fs::path> files{hub_ca};
    files.insert(files.end(), trusted.begin(), trusted.end());
    for (const auto& file : files) {
        std::ifstream in(file);
        std::ostringstream pem;
        pem << in.rdbuf();
        if (!in || add_to_trust_dir(dir, pem.str()) == 0) {
            throw std::runtime_error(file.string() +
                                     ": cannot be read or holds no PEM certificate "
                                     "(client certificate trust)");
        }
    }
}

}  // namespace hubsim::cli
