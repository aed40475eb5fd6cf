#include "core/user_db.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/testing/fake_filesystem.h"

namespace ceems {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kPasswd =
    "root:x:0:0:root:/root:/bin/bash\n"
    "# a comment\n"
    "+nisuser::::::\n"
    "broken line\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "ceems:x:998:997:CEEMS exporter:/var/lib/ceems:/usr/sbin/nologin\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    "ceems:x:1500:1500:a later duplicate:/home/ceems:/bin/sh\n"
    "nohome:x:1200:1200:::/bin/sh\n"
    "badid:x:12a:1:::\n";

constexpr std::string_view kGroup =
    "root:x:0:\n"
    "ceems:x:997:\n"
    "slurm:x:64030:ceems,alice\n"
    "nogroup:x:65534:\n"
    "badgid:x:-1:\n";

TEST(CoreUserDb, FindsTheFirstEntryByNameOrId) {
  auto ceems = find_passwd_entry(kPasswd, "/etc/passwd", "ceems");
  ASSERT_TRUE(ceems.ok());
  ASSERT_TRUE(ceems->has_value());
  EXPECT_EQ((*ceems)->uid, 998u);
  EXPECT_EQ((*ceems)->gid, 997u);
  EXPECT_EQ((*ceems)->home, "/var/lib/ceems");
  auto by_id = find_passwd_entry(kPasswd, "/etc/passwd", "", 65534);
  ASSERT_TRUE(by_id.ok() && by_id->has_value());
  EXPECT_EQ((*by_id)->name, "nobody");
  EXPECT_EQ((*find_passwd_entry(kPasswd, "/etc/passwd", "nohome"))->home, "/");
  EXPECT_FALSE(find_passwd_entry(kPasswd, "/etc/passwd", "alice")->has_value());
  EXPECT_FALSE(find_passwd_entry(kPasswd, "/etc/passwd", "+nisuser")->has_value());  // NIS lines skipped
  auto slurm = find_group_entry(kGroup, "/etc/group", "slurm");
  ASSERT_TRUE(slurm.ok() && slurm->has_value());
  EXPECT_EQ((*slurm)->gid, 64030u);
}

TEST(CoreUserDb, MalformedLineIsAnErrorOnlyWhenItIsTheOneAskedFor) {
  auto bad = find_passwd_entry(kPasswd, "/etc/passwd", "badid");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind(), ErrorKind::kInvalid);
  EXPECT_THAT(bad.error().message(), HasSubstr("/etc/passwd:10: invalid uid or gid"));
  EXPECT_THAT(bad.error().message(), HasSubstr("badid:x:12a"));
  auto short_line = find_passwd_entry("svc:x:10:10\n", "/etc/passwd", "svc");
  ASSERT_FALSE(short_line.ok());
  EXPECT_THAT(short_line.error().message(), HasSubstr("expected 7 fields"));
  auto bad_group = find_group_entry(kGroup, "/etc/group", "badgid");
  ASSERT_FALSE(bad_group.ok());
  EXPECT_THAT(bad_group.error().message(), HasSubstr("/etc/group:5: invalid gid"));
  // (uid_t)-1 is "no change" to setresuid, never an account.
  EXPECT_FALSE(find_passwd_entry("x:x:4294967295:1:::\n", "p", "x").ok());
}

class CoreRunAsUser : public ::testing::Test {
 protected:
  CoreRunAsUser() {
    fs_.add_file("/etc/passwd", std::string(kPasswd));
    fs_.add_file("/etc/group", std::string(kGroup));
  }
  Result<RunAsUser> resolve(std::string_view spec) { return resolve_run_as_user(fs_, spec); }
  test_support::FakeFilesystem fs_;
};

TEST_F(CoreRunAsUser, NamesAndNumbers) {
  auto nobody = resolve("nobody");
  ASSERT_TRUE(nobody.ok()) << nobody.error().message();
  EXPECT_EQ(nobody->uid, 65534u);
  EXPECT_EQ(nobody->gid, 65534u);
  EXPECT_EQ(nobody->home, "/nonexistent");
  auto with_group = resolve("ceems:slurm");
  ASSERT_TRUE(with_group.ok());
  EXPECT_EQ(with_group->uid, 998u);
  EXPECT_EQ(with_group->gid, 64030u);
  auto numeric = resolve("4242");  // not in /etc/passwd: its own number as group
  ASSERT_TRUE(numeric.ok());
  EXPECT_EQ(numeric->uid, 4242u);
  EXPECT_EQ(numeric->gid, 4242u);
  EXPECT_EQ(numeric->home, "/");
  auto listed = resolve("998");  // in /etc/passwd: its primary group and home
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->gid, 997u);
  EXPECT_EQ(listed->home, "/var/lib/ceems");
  auto both = resolve("4242:4343");
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->gid, 4343u);
}

TEST_F(CoreRunAsUser, ErrorsNameTheValueAndTheFile) {
  for (const char* spec : {"", ":", "nobody:", ":slurm"}) {
    auto r = resolve(spec);
    ASSERT_FALSE(r.ok()) << spec;
    EXPECT_THAT(r.error().message(), HasSubstr("expected USER or USER:GROUP")) << spec;
  }
  auto missing = resolve("alice");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message(), HasSubstr("run-as user \"alice\": no such user in /etc/passwd"));
  auto no_group = resolve("nobody:wheel");
  ASSERT_FALSE(no_group.ok());
  EXPECT_THAT(no_group.error().message(), HasSubstr("no such group in /etc/group"));

  // Without /etc/passwd only numeric ids work.
  test_support::FakeFilesystem empty;
  auto unreadable = resolve_run_as_user(empty, "nobody");
  ASSERT_FALSE(unreadable.ok());
  EXPECT_EQ(unreadable.error().kind(), ErrorKind::kNotFound);
  EXPECT_THAT(unreadable.error().message(), HasSubstr("could not read the user database"));
  auto numeric = resolve_run_as_user(empty, "65534:65534");
  ASSERT_TRUE(numeric.ok());
  EXPECT_EQ(numeric->uid, 65534u);
}

}  // namespace
}  // namespace ceems
