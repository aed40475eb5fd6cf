// Internal to src/cgroup: allocation-light file and directory access for the scrape
// path. On the process-wide real filesystem it uses the system calls directly with
// caller-owned buffers; any other Filesystem (tests) goes through its virtual methods,
// so fixture trees and fault-injecting filesystems keep working.
#pragma once

#include <string>
#include <vector>

#include "core/filesystem.h"

namespace ceems::cgroup::detail {

// Reads a whole (small) file into buf. Returns 0 or an errno value (ENOENT for a
// missing file or path component, as Error kind kNotFound maps back to).
int read_into(const Filesystem& fs, const std::string& path, std::string& buf);

// Names of the sub-directories of path (symlinks excluded), sorted; out is cleared
// first. Returns 0 or an errno value.
int list_subdirs(const Filesystem& fs, const std::string& path, std::vector<std::string>& out);

// True when path exists (following symlinks, like stat).
bool path_exists(const Filesystem& fs, const std::string& path);

// True when path exists without following a final symlink (os.Lstat).
bool path_lexists(const Filesystem& fs, const std::string& path);

}  // namespace ceems::cgroup::detail
