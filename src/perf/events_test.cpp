#include "perf/events.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/perf_event.h>

#include <set>
#include <string>
#include <vector>

namespace ceems::perf {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> profilers(const std::vector<const EventDef*>& events) {
  std::vector<std::string> out;
  for (const EventDef* e : events) out.emplace_back(e->profiler);
  return out;
}

const EventDef& by_metric(std::string_view metric) {
  for (const EventDef& e : all_events()) {
    if (e.metric == metric) return e;
  }
  ADD_FAILURE() << "no event " << metric;
  return all_events()[0];
}

TEST(PerfEventTable, ClassesHoldTheSpecNamesInOrder) {
  EXPECT_THAT(profilers(class_events(EventClass::kHardware)),
              ElementsAre("CpuCycles", "CpuInstr", "CacheRef", "CacheMisses", "BranchInstr", "BranchMisses",
                          "RefCpuCycles"));
  EXPECT_THAT(profilers(class_events(EventClass::kSoftware)),
              ElementsAre("PageFault", "ContextSwitch", "CpuMigration", "MinorFault", "MajorFault"));
  EXPECT_THAT(profilers(class_events(EventClass::kCache)),
              ElementsAre("L1DataReadHit", "L1DataReadMiss", "L1DataWriteHit", "L1InstrReadMiss", "LLReadHit",
                          "LLReadMiss", "LLWriteHit", "LLWriteMiss", "InstrTLBReadHit", "InstrTLBReadMiss",
                          "BPUReadHit", "BPUReadMiss"));
}

TEST(PerfEventTable, IndexIsThePositionAndNamesAreUnique) {
  std::set<std::string_view> metrics;
  for (size_t i = 0; i < all_events().size(); ++i) {
    EXPECT_EQ(all_events()[i].index, i);
    EXPECT_TRUE(metrics.insert(all_events()[i].metric).second) << all_events()[i].metric;
  }
  EXPECT_EQ(all_events().size(), 24U);
}

TEST(PerfEventTable, MetricNamesAndHelpAreVerbatim) {
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"ceems_perf_cpucycles_total", "Number of CPU cycles (frequency scaled)"},
      {"ceems_perf_instructions_total", "Number of CPU instructions"},
      {"ceems_perf_branch_instructions_total", "Number of CPU branch instructions"},
      {"ceems_perf_branch_misses_total", "Number of CPU branch misses"},
      {"ceems_perf_cache_refs_total", "Number of cache references (non frequency scaled)"},
      {"ceems_perf_cache_misses_total", "Number of cache misses"},
      {"ceems_perf_ref_cpucycles_total", "Number of CPU cycles"},
      {"ceems_perf_page_faults_total", "Number of page faults"},
      {"ceems_perf_context_switches_total", "Number of context switches"},
      {"ceems_perf_cpu_migrations_total", "Number of CPU process migrations"},
      {"ceems_perf_minor_faults_total", "Number of minor page faults"},
      {"ceems_perf_major_faults_total", "Number of major page faults"},
      {"ceems_perf_cache_l1d_read_hits_total", "Number L1 data cache read hits"},
      {"ceems_perf_cache_l1d_read_misses_total", "Number L1 data cache read misses"},
      {"ceems_perf_cache_l1d_write_hits_total", "Number L1 data cache write hits"},
      {"ceems_perf_cache_l1_instr_read_misses_total", "Number instruction L1 instruction read misses"},
      {"ceems_perf_cache_tlb_instr_read_hits_total", "Number instruction TLB read hits"},
      {"ceems_perf_cache_tlb_instr_read_misses_total", "Number instruction TLB read misses"},
      {"ceems_perf_cache_ll_read_hits_total", "Number last level read hits"},
      {"ceems_perf_cache_ll_read_misses_total", "Number last level read misses"},
      {"ceems_perf_cache_ll_write_hits_total", "Number last level write hits"},
      {"ceems_perf_cache_ll_write_misses_total", "Number last level write misses"},
      {"ceems_perf_cache_bpu_read_hits_total", "Number BPU read hits"},
      {"ceems_perf_cache_bpu_read_misses_total", "Number BPU read misses"},
  };
  ASSERT_EQ(expected.size(), all_events().size());
  for (const auto& [metric, help] : expected) EXPECT_EQ(by_metric(metric).help, help) << metric;
}

TEST(PerfEventTable, KernelTypeAndConfig) {
  EXPECT_EQ(by_metric("ceems_perf_cpucycles_total").type, PERF_TYPE_HARDWARE);
  EXPECT_EQ(by_metric("ceems_perf_cpucycles_total").config, PERF_COUNT_HW_CPU_CYCLES);
  EXPECT_EQ(by_metric("ceems_perf_ref_cpucycles_total").config, PERF_COUNT_HW_REF_CPU_CYCLES);
  EXPECT_EQ(by_metric("ceems_perf_page_faults_total").type, PERF_TYPE_SOFTWARE);
  EXPECT_EQ(by_metric("ceems_perf_page_faults_total").config, PERF_COUNT_SW_PAGE_FAULTS);
  EXPECT_EQ(by_metric("ceems_perf_major_faults_total").config, PERF_COUNT_SW_PAGE_FAULTS_MAJ);
  EXPECT_EQ(by_metric("ceems_perf_minor_faults_total").config, PERF_COUNT_SW_PAGE_FAULTS_MIN);
  // Cache events: id | op << 8 | result << 16; "hits" count accesses.
  const EventDef& l1d_write = by_metric("ceems_perf_cache_l1d_write_hits_total");
  EXPECT_EQ(l1d_write.type, PERF_TYPE_HW_CACHE);
  EXPECT_EQ(l1d_write.config, PERF_COUNT_HW_CACHE_L1D | (PERF_COUNT_HW_CACHE_OP_WRITE << 8) |
                                  (PERF_COUNT_HW_CACHE_RESULT_ACCESS << 16));
  EXPECT_EQ(
      by_metric("ceems_perf_cache_ll_write_misses_total").config,
      PERF_COUNT_HW_CACHE_LL | (PERF_COUNT_HW_CACHE_OP_WRITE << 8) | (PERF_COUNT_HW_CACHE_RESULT_MISS << 16));
  EXPECT_EQ(by_metric("ceems_perf_cache_bpu_read_misses_total").config, 0x10005U);
  EXPECT_EQ(by_metric("ceems_perf_cache_tlb_instr_read_hits_total").config, 0x4U);
  for (const EventDef& e : all_events()) {
    uint32_t want = e.cls == EventClass::kHardware   ? PERF_TYPE_HARDWARE
                    : e.cls == EventClass::kSoftware ? PERF_TYPE_SOFTWARE
                                                     : PERF_TYPE_HW_CACHE;
    EXPECT_EQ(e.type, want) << e.metric;
  }
}

TEST(PerfSelectEvents, NoNamesSelectsTheWholeClass) {
  EventSelection sel = select_events(EventClass::kSoftware, {});
  EXPECT_EQ(profilers(sel.events), profilers(class_events(EventClass::kSoftware)));
  EXPECT_THAT(sel.unknown, IsEmpty());
}

TEST(PerfSelectEvents, SubsetInTableOrderWithoutDuplicates) {
  std::vector<std::string> names = {"MajorFault", "PageFault", "MajorFault"};
  EventSelection sel = select_events(EventClass::kSoftware, names);
  EXPECT_THAT(profilers(sel.events), ElementsAre("PageFault", "MajorFault"));
  EXPECT_THAT(sel.unknown, IsEmpty());
}

TEST(PerfSelectEvents, UnknownNamesAreReportedAndIgnored) {
  std::vector<std::string> names = {"CpuCycles", "Bogus", "PageFault", "cpuinstr", "Bogus"};
  EventSelection sel = select_events(EventClass::kHardware, names);
  EXPECT_THAT(profilers(sel.events), ElementsAre("CpuCycles"));
  // A software name is unknown for the hardware class; matching is case-sensitive.
  EXPECT_THAT(sel.unknown, ElementsAre("Bogus", "PageFault", "cpuinstr"));
}

TEST(PerfSelectEvents, OnlyUnknownNamesFallBackToTheWholeClass) {
  std::vector<std::string> names = {"Nope"};
  EventSelection sel = select_events(EventClass::kCache, names);
  EXPECT_EQ(sel.events.size(), 12U);
  EXPECT_THAT(sel.unknown, ElementsAre("Nope"));
}

TEST(PerfClassName, Names) {
  EXPECT_EQ(class_name(EventClass::kHardware), "hardware");
  EXPECT_EQ(class_name(EventClass::kSoftware), "software");
  EXPECT_EQ(class_name(EventClass::kCache), "cache");
}

}  // namespace
}  // namespace ceems::perf
