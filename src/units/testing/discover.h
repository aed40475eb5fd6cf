// Test helpers for layouts: discover a fixture tree's units and walk them.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/compute_unit.h"
#include "units/discovery.h"

namespace ceems::units::testing {

// The relative paths of cgroups, in order.
inline std::vector<std::string> rels(const std::vector<CgroupPath>& v) {
  std::vector<std::string> out;
  for (const auto& p : v) out.push_back(p.rel);
  return out;
}

// The units discover() finds (a failure is a test failure), walked for needs.
inline std::vector<ComputeUnit> discover_and_walk(Discovery& d, UnitNeeds needs) {
  auto units = d.discover();
  EXPECT_TRUE(units.ok()) << (units.ok() ? "" : units.error().message());
  if (!units) return {};
  d.walk(*units, needs);
  return *units;
}

}  // namespace ceems::units::testing
