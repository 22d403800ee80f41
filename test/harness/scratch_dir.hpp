#pragma once
// The one scratch directory of the tests, benchmarks and the soak: a fresh private folder under
// the temporary directory ($TMPDIR or /tmp), removed with its content when the object goes away.
// Pure standard library, so the unit tests of the sanitizer tree use it too.

#include <sys/types.h>

#include <filesystem>
#include <string>

namespace hubgate::test {

class ScratchDir {
  public:
    // `prefix` names the folder (prefix-XXXXXX), so a leftover tells which test made it.
    explicit ScratchDir(const std::string& prefix = "hubgate-test");
    ~ScratchDir();
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    // Writes `text` to path()/name (creating parent folders) with permission bits `mode`
    // (private by default, as a key file must be) and returns the full path.
    std::filesystem::path write(const std::string& name, const std::string& text,
                                mode_t mode = 0600) const;

  private:
    std::filesystem::path path_;
};

// The whole content of a file ("" when it cannot be read).
std::string read_file(const std::filesystem::path& path);

}  // namespace hubgate::test
