#include "gateway/config/secret_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace hubgate::config {

std::optional<std::string> secret_file_problem(const std::filesystem::path& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        return path.string() + ": " + std::strerror(errno);
    }
    if (!S_ISREG(info.st_mode))
        return path.string() + " is not a regular file";
    const unsigned mode = info.st_mode & 07777U;
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", mode);
    if ((mode & (S_IRGRP | S_IROTH)) != 0) {
        return path.string() + " has mode " + octal +
               "; it must not be readable by group or others (chmod 600)";
    }
    if ((mode & (S_IWGRP | S_IWOTH)) != 0) {
        return path.string() + " has mode " + octal +
               "; it must not be writable by group or others (chmod 600)";
    }
    if (::access(path.c_str(), R_OK) != 0) {
        return path.string() + " cannot be read: " + std::strerror(errno);
    }
    return std::nullopt;
}

std::optional<std::string> read_secret_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::stringstream text;
    text << in.rdbuf();
    std::string value = text.str();
    while (!value.empty() &&
           (value.back() == '\n' || value.back() == '\r' || value.back() == ' ')) {
        value.pop_back();
    }
    return value;
}

}  // namespace hubgate::config
