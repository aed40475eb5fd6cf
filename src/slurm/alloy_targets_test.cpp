#include "slurm/alloy_targets.h"

#include <gtest/gtest.h>

#include "core/testing/test_support.h"
#include "slurm/slurm_layout.h"

namespace ceems::slurm {
namespace {

ComputeUnit unit(std::string id, std::vector<pid_t> procs) {
  ComputeUnit u;
  u.id = id;
  u.uuid = std::move(id);
  u.procs = std::move(procs);
  return u;
}

TEST(SlurmTargetsJson, OneTargetPerProcessInUnitOrder) {
  std::vector<ComputeUnit> units = {unit("1009248", {46231, 46281}), unit("1009249", {}),
                                    unit("1009250", {26242})};
  EXPECT_EQ(
      targets_json(units, 0),
      "[{\"targets\":[\"1009248\"],\"labels\":{\"__process_pid__\":\"46231\",\"service_name\":\"1009248\"}},"
      "{\"targets\":[\"1009248\"],\"labels\":{\"__process_pid__\":\"46281\",\"service_name\":\"1009248\"}},"
      "{\"targets\":[\"1009250\"],\"labels\":{\"__process_pid__\":\"26242\",\"service_name\":\"1009250\"}}]"
      "\n");
}

TEST(SlurmTargetsJson, SelfProfilerAppended) {
  std::vector<ComputeUnit> units = {unit("1", {10})};
  EXPECT_EQ(targets_json(units, 99),
            "[{\"targets\":[\"1\"],\"labels\":{\"__process_pid__\":\"10\",\"service_name\":\"1\"}},"
            "{\"targets\":[\"__internal_ceems_exporter\"],\"labels\":{\"__process_pid__\":\"99\","
            "\"service_name\":\"__internal_ceems_exporter\"}}]\n");
}

TEST(SlurmTargetsJson, UnitsWithoutProcessesEncodeAsNull) {
  std::vector<ComputeUnit> units = {unit("1", {})};
  EXPECT_EQ(targets_json(units, 0), "null\n");
}

TEST(SlurmTargetsJson, EscapesStrings) {
  std::vector<ComputeUnit> units = {unit("a\"b\\c\n", {1})};
  EXPECT_EQ(targets_json(units, 0),
            "[{\"targets\":[\"a\\\"b\\\\c\\u000a\"],\"labels\":{\"__process_pid__\":\"1\",\"service_name\":"
            "\"a\\\"b\\\\c\\u000a\"}}]\n");
}

class SlurmAlloyTargetsServe : public ::testing::Test {
 protected:
  void SetUp() override {
    using namespace std::string_literals;
    std::string job = "cg/system.slice/slurmstepd.scope/job_5";
    t_.write(job + "/cgroup.procs", "10\n");
    t_.write(job + "/step_batch/cgroup.procs", "11\n12\n");
    t_.write("proc/10/cmdline", "slurmstepd: [5.batch]\0"s);
    t_.write("proc/10/environ", "PROFILE=1\0"s);
    t_.write("proc/11/cmdline", "python3\0train.py\0"s);
    t_.write("proc/11/environ", "SLURM_JOB_ID=5\0PROFILE_ME=yes\0"s);
    t_.write("proc/12/cmdline", "python3\0other.py\0"s);
    t_.write("proc/12/environ", "SLURM_JOB_ID=5\0"s);
    host_ = std::make_unique<HostFs>(t_.path("proc"), t_.path("sys"), t_.path("cg"));
  }

  TargetsResponse serve(std::vector<std::string> env_vars, bool self = false) {
    units::Discovery d(*host_, slurm_layout(cgroup::Mode::kUnified), {cgroup::Mode::kUnified, "cpuacct"},
                       log::Logger());
    AlloyTargets a(*host_, privileges_, std::move(d), std::move(env_vars), self, log::Logger());
    return a.serve();
  }

  test_support::TempTree t_;
  std::unique_ptr<HostFs> host_;
  NoPrivileges privileges_;
};

TEST_F(SlurmAlloyTargetsServe, WithoutEnvVarsEveryProcessIsListed) {
  auto r = serve({});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_NE(r.body.find("\"__process_pid__\":\"10\""), std::string::npos);
  EXPECT_NE(r.body.find("\"__process_pid__\":\"11\""), std::string::npos);
  EXPECT_NE(r.body.find("\"__process_pid__\":\"12\""), std::string::npos);
}

TEST_F(SlurmAlloyTargetsServe, EnvVarsKeepMatchingNonHelperProcesses) {
  auto r = serve({"PROFILE"});
  EXPECT_EQ(r.body,
            "[{\"targets\":[\"5\"],\"labels\":{\"__process_pid__\":\"11\",\"service_name\":\"5\"}}]\n");
  auto none = serve({"NOT_SET"}, true);
  EXPECT_EQ(none.body, "[]\n");  // no unit left: no self target either
}

TEST_F(SlurmAlloyTargetsServe, DiscoveryErrorIs500) {
  std::filesystem::remove_all(t_.path("cg/system.slice"));
  auto r = serve({});
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.rfind("An error has occurred while serving targets:\n\nfailed to discover cgroups: ", 0),
            0u)
      << r.body;
}

}  // namespace
}  // namespace ceems::slurm
