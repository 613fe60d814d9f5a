// Small string helpers shared by every stage.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gpucfg::util {

std::vector<std::string> split(std::string_view s, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::string trim(std::string_view s);
bool starts_with(std::string_view s, std::string_view prefix);
bool ends_with(std::string_view s, std::string_view suffix);

// Edit distance (swapped neighbours count as one edit), used for "did you mean" hints.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The closest candidate to `word`, if it is close enough to be a plausible typo.
std::optional<std::string> closest(std::string_view word,
                                   const std::vector<std::string>& candidates);

// "; did you mean 'x'?" or an empty string.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

bool is_hex(std::string_view s);
// `path` with Windows' separators as '/': C:\a\b and C:/a/b name one file.
std::string forward_slashes(std::string_view path);
// ASCII letters in lower case (Windows file names compare so).
std::string ascii_lower(std::string_view s);

// A size for people: "412 MB" (decimal, as download sizes are given).
std::string megabytes(std::uint64_t bytes);

// An absolute path ("/..." or a Windows "C:\...") that names its folders plainly: no "." or
// ".." parts, no empty ones (so joined under a root it stays under it, and one path has one
// spelling).
bool plain_absolute_path(const std::string& p);

// Permission bits as people and records write them: "0644".
std::string octal_mode(unsigned mode);

// A path's parts between its '/' separators, empty ones left out: "/a//b/" -> {"a", "b"}.
std::vector<std::string> path_parts(const std::string& path);

} // namespace gpucfg::util
