#include "core/command_runner.h"

#include <gtest/gtest.h>

#include <chrono>

namespace ceems {
namespace {

TEST(CoreProcessRunner, CapturesOutputOfArgv) {
  ProcessRunner r;
  auto out = r.run({.argv = {"echo", "a b", "$HOME"}});
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(out->output, "a b $HOME\n");  // no shell: nothing expanded
}

TEST(CoreProcessRunner, MergesStderr) {
  ProcessRunner r;
  auto out = r.run({.argv = {"sh", "-c", "echo out; echo err >&2"}});
  ASSERT_TRUE(out.ok());
  EXPECT_NE(out->output.find("err"), std::string::npos);
}

TEST(CoreProcessRunner, NonZeroExitIsAnError) {
  ProcessRunner r;
  auto out = r.run({.argv = {"sh", "-c", "echo broken; exit 3"}});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message().find("exited with status 3"), std::string::npos);
  EXPECT_NE(out.error().message().find("broken"), std::string::npos);
}

TEST(CoreProcessRunner, MissingProgram) {
  ProcessRunner r;
  auto out = r.run({.argv = {"definitely-not-a-program-ceems"}});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind(), ErrorKind::kNotFound);
}

TEST(CoreProcessRunner, TimeoutKillsTheWholeGroup) {
  ProcessRunner r;
  auto start = std::chrono::steady_clock::now();
  // The grandchild keeps the pipe open; only killing the group ends the wait.
  auto out = r.run({.argv = {"sh", "-c", "sleep 30 & sleep 30"}, .timeout = std::chrono::milliseconds(300)});
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind(), ErrorKind::kTimeout);
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(CoreProcessRunner, OutputIsBounded) {
  ProcessRunner r;
  auto out = r.run({.argv = {"head", "-c", "100000", "/dev/zero"}, .max_output = 1000});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->output.size(), 1000u);
  EXPECT_TRUE(out->truncated);
}

TEST(CoreProcessRunner, ExtraEnvironment) {
  ProcessRunner r;
  auto out = r.run({.argv = {"sh", "-c", "echo $CEEMS_RUNNER_TEST"}, .extra_env = {"CEEMS_RUNNER_TEST=42"}});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->output, "42\n");
}

TEST(CoreFindExecutable, PathAndAbsolute) {
  EXPECT_FALSE(find_executable("sh").empty());
  EXPECT_EQ(find_executable("/bin/sh"), "/bin/sh");
  EXPECT_TRUE(find_executable("/nonexistent/tool").empty());
  EXPECT_TRUE(find_executable("").empty());
}

}  // namespace
}  // namespace ceems
