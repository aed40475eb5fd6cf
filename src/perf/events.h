// The perf events the collector can open (spec 14), grouped in three classes, and
// the selection of a class's subset from the --collector.perf.*-profilers flags.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ceems::perf {

enum class EventClass { kHardware = 0, kSoftware = 1, kCache = 2 };
inline constexpr size_t kEventClassCount = 3;

// "hardware", "software", "cache": used in log lines.
std::string_view class_name(EventClass cls);

struct EventDef {
  EventClass cls;
  std::string_view profiler;  // name accepted by the *-profilers flag, e.g. "CpuCycles"
  std::string_view metric;    // full metric name, e.g. "ceems_perf_cpucycles_total"
  std::string_view help;      // verbatim from the original
  uint32_t type;              // perf_event_attr.type
  uint64_t config;            // perf_event_attr.config
  size_t index;               // position in all_events(), a dense key for per-event state
};

// Every exported event, hardware first, then software, then cache, each class in
// the order of the spec's table.
std::span<const EventDef> all_events();
// The events of one class in table order.
std::vector<const EventDef*> class_events(EventClass cls);

struct EventSelection {
  std::vector<const EventDef*> events;  // table order, no duplicates
  std::vector<std::string> unknown;     // names that matched no event of the class
};

// Maps the profiler names given for a class to its events. Unknown names are
// reported back but do not fail: like the original, an empty result (no names, or
// only unknown ones) selects every event of the class.
EventSelection select_events(EventClass cls, std::span<const std::string> names);

}  // namespace ceems::perf
