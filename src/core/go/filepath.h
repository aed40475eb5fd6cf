// Go's path/filepath rules where labels echo paths: Clean (lexical) and
// EvalSymlinks (over the Filesystem interface, so fixture trees and fakes resolve
// the way the host's /sys does).
#pragma once

#include <string>
#include <string_view>

#include "core/filesystem.h"
#include "core/result.h"

namespace ceems::go {

// filepath.Clean: one separator between components, no "." components, ".."
// folded into the component before it where there is one (kept at the start of a
// relative path, dropped at the root), "." for an empty result.
std::string clean_path(std::string_view path);

// filepath.EvalSymlinks: path with every symbolic link in it replaced by its
// target, cleaned. A relative path stays relative. Fails when a component does
// not exist or the links nest deeper than 255 (a loop).
Result<std::string> eval_symlinks(const Filesystem& fs, std::string_view path);

}  // namespace ceems::go
