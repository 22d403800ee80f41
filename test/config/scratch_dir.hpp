#pragma once
// A private temporary folder for the config unit tests (the harness's TempDir is not built in the
// sanitizer tree). Removed with its content when the object goes away.

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace hubgate::test {

class ScratchDir {
  public:
    ScratchDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "hubgate-config-XXXXXX");
        if (::mkdtemp(pattern.data()) == nullptr)
            throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;

    const std::filesystem::path& path() const { return path_; }

    // Writes `text` to path()/name with permission bits `mode`; returns the full path.
    std::filesystem::path write(const std::string& name, const std::string& text,
                                mode_t mode = 0600) const {
        const auto file = path_ / name;
        std::filesystem::create_directories(file.parent_path());
        std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
        ::chmod(file.c_str(), mode);
        return file;
    }

  private:
    std::filesystem::path path_;
};

}  // namespace hubgate::test
