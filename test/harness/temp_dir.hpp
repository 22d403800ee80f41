#pragma once
// A fresh private directory under /tmp, removed (recursively) when the object goes away.

#include <filesystem>
#include <string>

namespace hubgate::test {

class TempDir {
  public:
    explicit TempDir(const std::string& prefix = "hubgate-test");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    // Writes `text` to path()/name (creating parent folders) and returns the full path.
    std::filesystem::path write(const std::string& name, const std::string& text) const;

  private:
    std::filesystem::path path_;
};

std::string read_file(const std::filesystem::path& path);

}  // namespace hubgate::test
