// Shell-style wildcard matching (fnmatch(3) without locale classes), so manifests' file patterns
// mean the same on every platform: '*' any run, '?' one character, '[a-z]' / '[!a-z]' a class,
// '\' makes the next character literal. With `path`, neither '*' nor '?' nor a class matches '/'
// (FNM_PATHNAME).
#pragma once

#include <string_view>

namespace gpucfg::util {

bool glob_match(std::string_view pattern, std::string_view text, bool path);

} // namespace gpucfg::util
