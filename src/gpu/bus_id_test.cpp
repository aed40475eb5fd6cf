#include <gtest/gtest.h>

#include "gpu/gpu.h"

namespace ceems::gpu {
namespace {

TEST(GpuParseBusId, NvidiaStyleWithLongDomain) {
  auto b = parse_bus_id("00000000:10:00.0");
  ASSERT_TRUE(b.ok()) << b.error().message();
  EXPECT_EQ(*b, (BusId{.domain = 0, .bus = 0x10, .device = 0, .function = 0}));
}

TEST(GpuParseBusId, AmdStyleEqualsNvidiaStyle) {
  auto a = parse_bus_id("0000:C5:00.0");
  auto n = parse_bus_id("00000000:c5:00.0");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*a, *n);
  EXPECT_EQ(a->bus, 0xC5);
}

TEST(GpuParseBusId, FirstMatchAnywhere) {
  auto b = parse_bus_id("GPU 00000000:AF:1f.7 and 0000:01:00.0");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, (BusId{.domain = 0, .bus = 0xAF, .device = 0x1F, .function = 7}));
}

TEST(GpuParseBusId, MatchStartsAfterNonHexPrefix) {
  auto b = parse_bus_id("xyz:12:34:56.7");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, (BusId{.domain = 0x12, .bus = 0x34, .device = 0x56, .function = 7}));
}

TEST(GpuParseBusId, MaximalFourthComponent) {
  auto b = parse_bus_id("1:2:3.45");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->function, 0x45);
}

TEST(GpuParseBusId, ComponentOver16BitsFails) {
  auto b = parse_bus_id("100000:10:00.0");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().kind(), ErrorKind::kInvalid);
  EXPECT_NE(b.error().message().find("100000"), std::string::npos);
}

TEST(GpuParseBusId, NoMatch) {
  EXPECT_FALSE(parse_bus_id("").ok());
  EXPECT_FALSE(parse_bus_id("N/A").ok());
  EXPECT_FALSE(parse_bus_id("0000:10:00").ok());
  EXPECT_FALSE(parse_bus_id("0000:10.00.0").ok());
  EXPECT_FALSE(parse_bus_id(":10:00.0").ok());
}

}  // namespace
}  // namespace ceems::gpu
