#pragma once
// Replacing a small file so that a crash at any moment leaves either the old or the new content.

#include <filesystem>
#include <string>
#include <string_view>

namespace hubgate::core {

// Writes `content` to a temporary file next to `path`, fsyncs it, renames it over `path` and
// fsyncs the folder. False with `error` on any failure (the old file is then untouched).
bool replace_file_atomically(const std::filesystem::path& path, std::string_view content,
                             std::string& error);

}  // namespace hubgate::core
