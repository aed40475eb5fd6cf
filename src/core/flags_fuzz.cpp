#include "core/flags.h"
#include "core/fuzz_harness.h"
#include "core/strings.h"

namespace {
// Newline-separated arguments against a small flag set covering every kind.
void fuzz(std::string_view in) {
  ceems::FlagSet f("fuzz");
  f.add_bool("b", "bool");
  f.add_string("s", "string");
  f.add_int("i", "int", 1);
  f.add({.name = "e",
         .kind = ceems::FlagKind::kEnum,
         .help = "enum",
         .defaults = {"x"},
         .choices = {"x", "y"}});
  f.add({.name = "l", .kind = ceems::FlagKind::kStringList, .help = "list", .defaults = {"d"}});
  f.add({.name = "old", .kind = ceems::FlagKind::kBool, .help = "alias", .alias_of = "b"});
  std::vector<std::string> args;
  for (auto a : ceems::split(in, '\n')) {
    if (!a.empty() && a.front() == '@') continue;  // no file access from the fuzzer
    args.emplace_back(a);
  }
  (void)f.parse(args);
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
