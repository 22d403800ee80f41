#pragma once
// A private temporary directory for spool tests (unit tests cannot use the integration harness).

#include <filesystem>

namespace hubgate::spool::test {

class ScratchDir {
  public:
    ScratchDir();
    ~ScratchDir();
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

}  // namespace hubgate::spool::test
