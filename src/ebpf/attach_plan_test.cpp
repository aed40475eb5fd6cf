#include "ebpf/attach_plan.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "core/testing/test_support.h"
#include "ebpf/programs.h"

namespace ceems::ebpf {
namespace {

// Field pointers in preference order, per hook.
using Field = bool Features::*;
const std::vector<std::pair<Field, Method>> kVfs = {{&Features::vfs_fentry, Method::kFentry},
                                                    {&Features::vfs_kprobe, Method::kKprobe},
                                                    {&Features::vfs_tp_btf, Method::kTpBtf},
                                                    {&Features::vfs_raw_tp, Method::kRawTp},
                                                    {&Features::vfs_tracepoint, Method::kTracepoint}};
const std::vector<std::pair<Field, Method>> kNet = {{&Features::net_fentry, Method::kFentry},
                                                    {&Features::net_kprobe, Method::kKprobe},
                                                    {&Features::net_cgroup_skb, Method::kCgroupSkb}};
const std::vector<std::pair<Field, Method>> kRetrans = {{&Features::retrans_tp_btf, Method::kTpBtf},
                                                        {&Features::retrans_raw_tp, Method::kRawTp},
                                                        {&Features::retrans_tracepoint, Method::kTracepoint}};

Method first_of(const Features& f, const std::vector<std::pair<Field, Method>>& order) {
  for (const auto& [field, m] : order) {
    if (f.*field) return m;
  }
  return Method::kNone;
}

// Every one of the 2^11 feature combinations.
TEST(EbpfChooseAttach, AllCombinations) {
  std::vector<Field> all;
  for (const auto* list : {&kVfs, &kNet, &kRetrans}) {
    for (const auto& [field, m] : *list) all.push_back(field);
  }
  ASSERT_EQ(all.size(), 11U);
  for (unsigned mask = 0; mask < (1U << all.size()); ++mask) {
    Features f;
    for (size_t i = 0; i < all.size(); ++i) f.*all[i] = ((mask >> i) & 1U) != 0;
    const Plan p = choose_attach(f);
    SCOPED_TRACE("mask " + std::to_string(mask) + " features " + describe(f));
    EXPECT_EQ(p.vfs, first_of(f, kVfs));
    EXPECT_EQ(p.net, first_of(f, kNet));
    if (p.net == Method::kFentry || p.net == Method::kKprobe) {
      EXPECT_EQ(p.retrans, Method::kSocketCounters);
    } else if (p.net == Method::kCgroupSkb) {
      EXPECT_EQ(p.retrans, first_of(f, kRetrans));
    } else {
      EXPECT_EQ(p.retrans, Method::kNone);
    }
  }
}

TEST(EbpfChooseAttach, ThisProjectMachine) {
  // Kernel 6.18 without kprobes, fentry refused, tracefs unmounted.
  Features f;
  f.vfs_tp_btf = f.vfs_raw_tp = true;
  f.net_cgroup_skb = f.retrans_tp_btf = f.retrans_raw_tp = true;
  EXPECT_EQ(choose_attach(f), (Plan{Method::kTpBtf, Method::kCgroupSkb, Method::kTpBtf}));
}

TEST(EbpfChooseAttach, FullFeaturedKernelUsesFunctionHooks) {
  Features f{true, true, true, true, true, true, true, true, true, true, true};
  EXPECT_EQ(choose_attach(f), (Plan{Method::kFentry, Method::kFentry, Method::kSocketCounters}));
  f.vfs_fentry = f.net_fentry = false;
  EXPECT_EQ(choose_attach(f), (Plan{Method::kKprobe, Method::kKprobe, Method::kSocketCounters}));
}

TEST(EbpfChooseAttach, NothingWorks) {
  EXPECT_EQ(choose_attach(Features{}), Plan{});
  EXPECT_EQ(describe(Features{}), "none");
}

TEST(EbpfPlanCovers, RequestedHooksOnly) {
  const Plan io_only{Method::kRawTp, Method::kNone, Method::kNone};
  EXPECT_TRUE(plan_covers(io_only, true, false));
  EXPECT_FALSE(plan_covers(io_only, true, true));
  EXPECT_FALSE(plan_covers(io_only, false, true));
  EXPECT_TRUE(plan_covers(Plan{}, false, false));
}

TEST(EbpfMethodName, Names) {
  EXPECT_EQ(method_name(Method::kRawTp), "raw_tracepoint");
  EXPECT_EQ(method_name(Method::kCgroupSkb), "cgroup_skb");
  EXPECT_EQ(method_name(Method::kSocketCounters), "socket_counters");
}

class FakeProbe final : public FeatureProbe {
 public:
  explicit FakeProbe(Features f) : f_(f) {}
  Features probe(const LoadConfig& cfg) override {
    seen = cfg;
    return f_;
  }
  LoadConfig seen;

 private:
  Features f_;
};

TEST(EbpfBuildPlan, LogsTheMethodOfEachProgram) {
  test_support::LogCapture logs;
  Features f;
  f.vfs_raw_tp = f.net_cgroup_skb = true;
  FakeProbe probe(f);
  LoadConfig cfg;
  cfg.io = cfg.net = true;
  auto plan = build_plan(probe, cfg, log::Logger{});
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  EXPECT_EQ(*plan, (Plan{Method::kRawTp, Method::kCgroupSkb, Method::kNone}));
  EXPECT_TRUE(probe.seen.io && probe.seen.net);
  const std::string text = logs.text();
  EXPECT_NE(text.find("msg=\"eBPF attach method\" program=vfs method=raw_tracepoint"), std::string::npos)
      << text;
  EXPECT_NE(text.find("program=network method=cgroup_skb"), std::string::npos) << text;
  EXPECT_NE(text.find("program=tcp_retransmit method=none"), std::string::npos) << text;
}

TEST(EbpfBuildPlan, KeepsTheWorkingPartAndFailsClearlyWhenNothingWorks) {
  test_support::LogCapture logs;
  Features f;
  f.vfs_tp_btf = true;
  FakeProbe probe(f);
  LoadConfig cfg;
  cfg.io = cfg.net = true;
  cfg.cgroup2_root = "/srv/not-a-cgroup";
  // IO works: the plan keeps it and names what is dropped.
  auto plan = build_plan(probe, cfg, log::Logger{});
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  EXPECT_EQ(plan->vfs, Method::kTpBtf);
  EXPECT_EQ(plan->net, Method::kNone);
  const std::string text = logs.text();
  EXPECT_NE(text.find("level=WARN"), std::string::npos) << text;
  EXPECT_NE(text.find("unavailable=network"), std::string::npos) << text;
  EXPECT_NE(text.find("network (tried fentry, kprobe, cgroup_skb on the cgroup v2 root /srv/not-a-cgroup)"),
            std::string::npos)
      << text;

  // Nothing requested works: an error naming it.
  cfg.io = false;
  plan = build_plan(probe, cfg, log::Logger{});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().kind(), ErrorKind::kNotFound);
  EXPECT_NE(plan.error().message().find("network (tried fentry, kprobe, cgroup_skb"), std::string::npos)
      << plan.error().message();
  EXPECT_EQ(plan.error().message().find("VFS"), std::string::npos);

  cfg.net = false;
  cfg.io = true;
  EXPECT_TRUE(build_plan(probe, cfg, log::Logger{}).ok());
}

}  // namespace
}  // namespace ceems::ebpf
