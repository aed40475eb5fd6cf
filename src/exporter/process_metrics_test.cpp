#include "exporter/process_metrics.h"

#include <gtest/gtest.h>

namespace ceems {
namespace {

TEST(ExporterProcessMetrics, ParseSelfStatWithSpacesInName) {
  std::string stat =
      "1234 (ceems (x) y) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 1000 104857600 2560 "
      "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
  auto s = parse_self_stat(stat, 100, 4096);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_DOUBLE_EQ(s->cpu_seconds, 3.0);
  EXPECT_DOUBLE_EQ(s->virtual_bytes, 104857600);
  EXPECT_DOUBLE_EQ(s->resident_bytes, 2560.0 * 4096);
  EXPECT_DOUBLE_EQ(s->start_ticks, 1000);
}

TEST(ExporterProcessMetrics, ParseSelfStatErrors) {
  EXPECT_FALSE(parse_self_stat("", 100, 4096).ok());
  EXPECT_FALSE(parse_self_stat("1 (x) S 1 2 3", 100, 4096).ok());
  auto bad = parse_self_stat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 xx 50 0 0 20 0 9 0 1000 1 1", 100, 4096);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("non-numeric"), std::string::npos);
}

TEST(ExporterProcessMetrics, ParseLimits) {
  std::string limits =
      "Limit                     Soft Limit           Hard Limit           Units     \n"
      "Max address space         unlimited            unlimited            bytes     \n"
      "Max open files            1024                 524288               files     \n";
  EXPECT_DOUBLE_EQ(*parse_limit(limits, "Max open files"), 1024);
  EXPECT_DOUBLE_EQ(*parse_limit(limits, "Max address space"), 18446744073709551615.0);
  EXPECT_FALSE(parse_limit(limits, "Max processes").ok());
  EXPECT_FALSE(parse_limit("Max open files            lots", "Max open files").ok());
}

TEST(ExporterProcessMetrics, ParseNetDev) {
  std::string dev =
      "Inter-|   Receive                                                |  Transmit\n"
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo "
      "colls "
      "carrier compressed\n"
      "    lo:    1000      10    0    0    0     0          0         0     2000      20    0    0    0     "
      "0 "
      "      0          0\n"
      "  eth0:     500       5    0    0    0     0          0         0      700       7    0    0    0     "
      "0 "
      "      0          0\n";
  auto t = parse_net_dev_totals(dev);
  ASSERT_TRUE(t.ok());
  EXPECT_DOUBLE_EQ(t->first, 1500);
  EXPECT_DOUBLE_EQ(t->second, 2700);
  EXPECT_FALSE(parse_net_dev_totals("eth0: 1 2 3").ok());
}

TEST(ExporterProcessMetrics, BootTime) {
  EXPECT_DOUBLE_EQ(*parse_boot_time("cpu 1 2\nbtime 1700000000\n"), 1700000000);
  EXPECT_FALSE(parse_boot_time("cpu 1 2\n").ok());
  EXPECT_FALSE(parse_boot_time("btime soon\n").ok());
}

}  // namespace
}  // namespace ceems
