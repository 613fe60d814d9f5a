// SHA-256 through OpenSSL (SHA-NI where the CPU has it): of a string, or of a file streamed in
// 1 MiB blocks so memory stays flat whatever the file's size.
#pragma once

#include <optional>
#include <string>

namespace gpucfg::util {

std::string sha256_hex(const std::string& data);
// nullopt when the file cannot be read.
std::optional<std::string> sha256_file(const std::string& path);

} // namespace gpucfg::util
