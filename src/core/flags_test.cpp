#include "core/flags.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace ceems {
namespace {

FlagSet make() {
  FlagSet f("prog", "Test program.");
  f.add_bool("collector.cpu", "Enable the cpu collector (default: enabled).", true);
  f.add_bool("collector.slurm", "Enable the slurm collector (default: disabled).");
  f.add_string("web.telemetry-path", "Path.", "/metrics");
  f.add_int("web.max-requests", "Max.", 40);
  f.add({.name = "web.listen-address",
         .kind = FlagKind::kStringList,
         .help = "Addresses.",
         .defaults = {":9010"}});
  f.add({.name = "log.level",
         .kind = FlagKind::kEnum,
         .help = "Level.",
         .defaults = {"info"},
         .choices = {"debug", "info"}});
  f.add_bool("collector.meminfo.all-stats", "All stats.");
  f.add({.name = "collector.meminfo.all.stats",
         .kind = FlagKind::kBool,
         .help = "All stats.",
         .hidden = true,
         .alias_of = "collector.meminfo.all-stats"});
  f.add({.name = "web.config.file",
         .kind = FlagKind::kString,
         .help = "Config.",
         .defaults = {""},
         .env = "CEEMS_TEST_FLAGS_ENV"});
  f.add_string("path.sysfs", "sysfs mountpoint.", "/sys", true);
  return f;
}

TEST(CoreFlags, Defaults) {
  auto f = make();
  ASSERT_TRUE(f.parse({}).ok());
  EXPECT_TRUE(f.get_bool("collector.cpu"));
  EXPECT_FALSE(f.get_bool("collector.slurm"));
  EXPECT_EQ(f.get_string("web.telemetry-path"), "/metrics");
  EXPECT_EQ(f.get_int("web.max-requests"), 40);
  EXPECT_EQ(f.get_list("web.listen-address"), std::vector<std::string>{":9010"});
  EXPECT_FALSE(f.explicitly_set("collector.cpu"));
}

TEST(CoreFlags, BothValueFormsAndNegation) {
  auto f = make();
  auto r = f.parse(
      {"--no-collector.cpu", "--collector.slurm", "--web.telemetry-path", "/m", "--web.max-requests=3"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_FALSE(f.get_bool("collector.cpu"));
  EXPECT_TRUE(f.explicitly_set("collector.cpu"));
  EXPECT_TRUE(f.get_bool("collector.slurm"));
  EXPECT_EQ(f.get_string("web.telemetry-path"), "/m");
  EXPECT_EQ(f.get_int("web.max-requests"), 3);
}

TEST(CoreFlags, ListsReplaceDefaultAndAccumulate) {
  auto f = make();
  ASSERT_TRUE(f.parse({"--web.listen-address=:1", "--web.listen-address", ":2"}).ok());
  EXPECT_EQ(f.get_list("web.listen-address"), (std::vector<std::string>{":1", ":2"}));
}

TEST(CoreFlags, Errors) {
  struct Case {
    std::vector<std::string> args;
    std::string expect;
  };
  std::vector<Case> cases = {
      {{"--nope"}, "unknown long flag '--nope'"},
      {{"--web.telemetry-path=/a", "--web.telemetry-path=/b"},
       "flag 'web.telemetry-path' cannot be repeated"},
      {{"--web.max-requests=ten"}, "invalid value \"ten\" for flag --web.max-requests"},
      {{"--log.level=loud"}, "enum value must be one of debug,info, got 'loud'"},
      {{"--collector.cpu=false"}, "boolean flag --collector.cpu does not take a value"},
      {{"--no-web.telemetry-path"}, "unknown long flag '--no-web.telemetry-path'"},
      {{"stray"}, "unexpected stray"},
      {{"--web.telemetry-path"}, "expected argument for flag '--web.telemetry-path'"},
      {{"-x"}, "unknown short flag '-x'"},
  };
  for (const auto& c : cases) {
    auto f = make();
    auto r = f.parse(c.args);
    ASSERT_FALSE(r.ok()) << c.args[0];
    EXPECT_NE(r.error().message().find(c.expect), std::string::npos) << r.error().message();
  }
}

TEST(CoreFlags, DeprecatedAliasIsOred) {
  auto f = make();
  auto r = f.parse({"--collector.meminfo.all.stats"});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(f.get_bool("collector.meminfo.all-stats"));
  ASSERT_EQ(r->deprecated_used.size(), 1u);
  EXPECT_EQ(r->deprecated_used[0], "collector.meminfo.all.stats");
}

TEST(CoreFlags, HelpAndVersion) {
  auto f = make();
  auto r = f.parse({"-h"});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->help);
  std::string u = f.usage();
  EXPECT_NE(u.find("--[no-]collector.cpu"), std::string::npos);
  EXPECT_NE(u.find("--web.telemetry-path=/metrics"), std::string::npos);
  EXPECT_EQ(u.find("path.sysfs"), std::string::npos) << "hidden flags are not listed";
  EXPECT_EQ(u.find("all.stats"), std::string::npos);
  auto g = make();
  EXPECT_TRUE(g.parse({"--version"})->version);
}

TEST(CoreFlags, EnvironmentDefault) {
  ::setenv("CEEMS_TEST_FLAGS_ENV", "/etc/web.yml", 1);
  auto f = make();
  ASSERT_TRUE(f.parse({}).ok());
  EXPECT_EQ(f.get_string("web.config.file"), "/etc/web.yml");
  auto g = make();
  ASSERT_TRUE(g.parse({"--web.config.file=/x"}).ok());
  EXPECT_EQ(g.get_string("web.config.file"), "/x");
  ::unsetenv("CEEMS_TEST_FLAGS_ENV");
}

TEST(CoreFlags, ArgumentFile) {
  std::string path = ::testing::TempDir() + "/flags_args.txt";
  {
    std::ofstream out(path);
    out << "# comment\n--collector.slurm\n\n--web.max-requests=5\n";
  }
  auto f = make();
  auto r = f.parse({"@" + path});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(f.get_bool("collector.slurm"));
  EXPECT_EQ(f.get_int("web.max-requests"), 5);
  auto g = make();
  EXPECT_FALSE(g.parse({"@/nonexistent/args"}).ok());
  std::remove(path.c_str());
}

TEST(CoreFlags, UnknownQueryIsAProgrammingError) {
  auto f = make();
  EXPECT_THROW((void)f.get_bool("nope"), std::logic_error);
  EXPECT_THROW(f.add_bool("collector.cpu", "again"), std::logic_error);
}

TEST(CoreFlags, HelpLongAndManPage) {
  FlagSet f("prog", "Does things.");
  f.add_string("web.telemetry-path", "Path under which to expose metrics.", "/metrics");
  f.add_bool("collector.cpu", "Enable the cpu collector (default: enabled).", true);
  f.add_string("secret.flag", "hidden", "", true);
  auto parsed = f.parse({"--help-long"});
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->help_long);
  parsed = f.parse({"--help-man"});
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->help_man);
  const std::string man = f.man_page("prog, version 1.0");
  EXPECT_EQ(man.rfind(".TH prog 1 \"\" \"prog, version 1.0\"\n", 0), 0U) << man;
  EXPECT_NE(man.find(".SH \"NAME\"\nprog \\- Does things.\n"), std::string::npos) << man;
  EXPECT_NE(man.find(".SH \"DESCRIPTION\"\nDoes things.\n"), std::string::npos) << man;
  // Hyphens are escaped so that man does not turn them into dashes.
  EXPECT_NE(
      man.find(".TP\n\\fB\\-\\-web.telemetry\\-path=/metrics\\fR\nPath under which to expose metrics.\n"),
      std::string::npos)
      << man;
  EXPECT_NE(man.find("\\-\\-[no\\-]collector.cpu"), std::string::npos) << man;
  EXPECT_EQ(man.find("secret.flag"), std::string::npos) << man;
}

}  // namespace
}  // namespace ceems
