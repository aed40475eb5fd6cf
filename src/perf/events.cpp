#include "perf/events.h"

#include <linux/perf_event.h>

#include <algorithm>
#include <array>

namespace ceems::perf {
namespace {

constexpr uint64_t cache_config(uint64_t cache, uint64_t op, uint64_t result) {
  return cache | (op << 8U) | (result << 16U);
}

constexpr uint32_t kHw = PERF_TYPE_HARDWARE;
constexpr uint32_t kSw = PERF_TYPE_SOFTWARE;
constexpr uint32_t kHc = PERF_TYPE_HW_CACHE;
constexpr EventClass kH = EventClass::kHardware;
constexpr EventClass kS = EventClass::kSoftware;
constexpr EventClass kC = EventClass::kCache;

// The "hits" cache events count accesses (RESULT_ACCESS), as in the original.
constexpr std::array<EventDef, 24> kEvents = {{
    {kH, "CpuCycles", "ceems_perf_cpucycles_total", "Number of CPU cycles (frequency scaled)", kHw,
     PERF_COUNT_HW_CPU_CYCLES, 0},
    {kH, "CpuInstr", "ceems_perf_instructions_total", "Number of CPU instructions", kHw,
     PERF_COUNT_HW_INSTRUCTIONS, 1},
    {kH, "CacheRef", "ceems_perf_cache_refs_total", "Number of cache references (non frequency scaled)", kHw,
     PERF_COUNT_HW_CACHE_REFERENCES, 2},
    {kH, "CacheMisses", "ceems_perf_cache_misses_total", "Number of cache misses", kHw,
     PERF_COUNT_HW_CACHE_MISSES, 3},
    {kH, "BranchInstr", "ceems_perf_branch_instructions_total", "Number of CPU branch instructions", kHw,
     PERF_COUNT_HW_BRANCH_INSTRUCTIONS, 4},
    {kH, "BranchMisses", "ceems_perf_branch_misses_total", "Number of CPU branch misses", kHw,
     PERF_COUNT_HW_BRANCH_MISSES, 5},
    {kH, "RefCpuCycles", "ceems_perf_ref_cpucycles_total", "Number of CPU cycles", kHw,
     PERF_COUNT_HW_REF_CPU_CYCLES, 6},
    {kS, "PageFault", "ceems_perf_page_faults_total", "Number of page faults", kSw, PERF_COUNT_SW_PAGE_FAULTS,
     7},
    {kS, "ContextSwitch", "ceems_perf_context_switches_total", "Number of context switches", kSw,
     PERF_COUNT_SW_CONTEXT_SWITCHES, 8},
    {kS, "CpuMigration", "ceems_perf_cpu_migrations_total", "Number of CPU process migrations", kSw,
     PERF_COUNT_SW_CPU_MIGRATIONS, 9},
    {kS, "MinorFault", "ceems_perf_minor_faults_total", "Number of minor page faults", kSw,
     PERF_COUNT_SW_PAGE_FAULTS_MIN, 10},
    {kS, "MajorFault", "ceems_perf_major_faults_total", "Number of major page faults", kSw,
     PERF_COUNT_SW_PAGE_FAULTS_MAJ, 11},
    {kC, "L1DataReadHit", "ceems_perf_cache_l1d_read_hits_total", "Number L1 data cache read hits", kHc,
     cache_config(PERF_COUNT_HW_CACHE_L1D, PERF_COUNT_HW_CACHE_OP_READ, PERF_COUNT_HW_CACHE_RESULT_ACCESS),
     12},
    {kC, "L1DataReadMiss", "ceems_perf_cache_l1d_read_misses_total", "Number L1 data cache read misses", kHc,
     cache_config(PERF_COUNT_HW_CACHE_L1D, PERF_COUNT_HW_CACHE_OP_READ, PERF_COUNT_HW_CACHE_RESULT_MISS), 13},
    {kC, "L1DataWriteHit", "ceems_perf_cache_l1d_write_hits_total", "Number L1 data cache write hits", kHc,
     cache_config(PERF_COUNT_HW_CACHE_L1D, PERF_COUNT_HW_CACHE_OP_WRITE, PERF_COUNT_HW_CACHE_RESULT_ACCESS),
     14},
    {kC, "L1InstrReadMiss", "ceems_perf_cache_l1_instr_read_misses_total",
     "Number instruction L1 instruction read misses", kHc,
     cache_config(PERF_COUNT_HW_CACHE_L1I, PERF_COUNT_HW_CACHE_OP_READ, PERF_COUNT_HW_CACHE_RESULT_MISS), 15},
    {kC, "LLReadHit", "ceems_perf_cache_ll_read_hits_total", "Number last level read hits", kHc,
     cache_config(PERF_COUNT_HW_CACHE_LL, PERF_COUNT_HW_CACHE_OP_READ, PERF_COUNT_HW_CACHE_RESULT_ACCESS),
     16},
    {kC, "LLReadMiss", "ceems_perf_cache_ll_read_misses_total", "Number last level read misses", kHc,
     cache_config(PERF_COUNT_HW_CACHE_LL, PERF_COUNT_HW_CACHE_OP_READ, PERF_COUNT_HW_CACHE_RESULT_MISS), 17},
    {kC, "LLWriteHit", "ceems_perf_cache_ll_write_hits_total", "Number last level write hits", kHc,
     cache_config(PERF_COUNT_HW_CACHE_LL, PERF_COUNT_HW_CACHE_OP_WRITE, PERF_COUNT_HW_CACHE_RESULT_ACCESS),
     18},
    {kC, "LLWriteMiss", "ceems_perf_cache_ll_write_misses_total", "Number last level write misses", kHc,
     cache_config(PERF_COUNT_HW_CACHE_LL, PERF_COUNT_HW_CACHE_OP_WRITE, PERF_COUNT_HW_CACHE_RESULT_MISS), 19},
    {kC, "InstrTLBReadHit", "ceems_perf_cache_tlb_instr_read_hits_total", "Number instruction TLB read hits",
     kHc,
     cache_config(PERF_COUNT_HW_CACHE_ITLB, PERF_COUNT_HW_CACHE_OP_READ, PERF_COUNT_HW_CACHE_RESULT_ACCESS),
     20},
    {kC, "InstrTLBReadMiss", "ceems_perf_cache_tlb_instr_read_misses_total",
     "Number instruction TLB read misses", kHc,
     cache_config(PERF_COUNT_HW_CACHE_ITLB, PERF_COUNT_HW_CACHE_OP_READ, PERF_COUNT_HW_CACHE_RESULT_MISS),
     21},
    {kC, "BPUReadHit", "ceems_perf_cache_bpu_read_hits_total", "Number BPU read hits", kHc,
     cache_config(PERF_COUNT_HW_CACHE_BPU, PERF_COUNT_HW_CACHE_OP_READ, PERF_COUNT_HW_CACHE_RESULT_ACCESS),
     22},
    {kC, "BPUReadMiss", "ceems_perf_cache_bpu_read_misses_total", "Number BPU read misses", kHc,
     cache_config(PERF_COUNT_HW_CACHE_BPU, PERF_COUNT_HW_CACHE_OP_READ, PERF_COUNT_HW_CACHE_RESULT_MISS), 23},
}};

}  // namespace

std::string_view class_name(EventClass cls) {
  switch (cls) {
    case EventClass::kHardware:
      return "hardware";
    case EventClass::kSoftware:
      return "software";
    case EventClass::kCache:
      return "cache";
  }
  return "unknown";
}

std::span<const EventDef> all_events() { return kEvents; }

std::vector<const EventDef*> class_events(EventClass cls) {
  std::vector<const EventDef*> out;
  for (const EventDef& e : kEvents) {
    if (e.cls == cls) out.push_back(&e);
  }
  return out;
}

EventSelection select_events(EventClass cls, std::span<const std::string> names) {
  EventSelection sel;
  std::vector<const EventDef*> candidates = class_events(cls);
  std::vector<bool> chosen(candidates.size(), false);
  for (const std::string& name : names) {
    auto it = std::find_if(candidates.begin(), candidates.end(),
                           [&](const EventDef* e) { return e->profiler == name; });
    if (it == candidates.end()) {
      if (std::find(sel.unknown.begin(), sel.unknown.end(), name) == sel.unknown.end())
        sel.unknown.push_back(name);
      continue;
    }
    chosen[static_cast<size_t>(it - candidates.begin())] = true;
  }
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (chosen[i]) sel.events.push_back(candidates[i]);
  }
  if (sel.events.empty()) sel.events = std::move(candidates);
  return sel;
}

}  // namespace ceems::perf
