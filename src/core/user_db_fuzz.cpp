// The passwd(5) and group(5) readers on arbitrary bytes: never a crash, never the
// reserved id (uid_t)-1 as an account.
#include <cstdlib>

#include "core/fuzz_harness.h"
#include "core/user_db.h"

namespace {
void fuzz(std::string_view in) {
  for (const auto& found : {ceems::find_passwd_entry(in, "passwd", "nobody"),
                            ceems::find_passwd_entry(in, "passwd", "", 65534)}) {
    if (found && *found && (*found)->uid == static_cast<uid_t>(-1)) std::abort();
  }
  (void)ceems::find_group_entry(in, "group", "nogroup");
  (void)ceems::find_group_entry(in, "group", "", 0);
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
