#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gpu/gpu.h"

namespace ceems::gpu {
namespace {

// Shaped like rocm-smi 5.x/6.x: header row, no newline after the last row.
constexpr std::string_view kTwoCards =
    "device,Serial Number,PCI Bus,Card series,Card model,Card vendor,Card SKU\n"
    "card0,4a1b2c3d4e5f,0000:03:00.0,AMD Instinct MI210,0x0740,Advanced Micro Devices Inc. [AMD/ATI],D67301\n"
    "card1, 9f8e7d6c5b4a ,0000:E3:00.0, AMD Instinct MI210 ,0x0740,Advanced Micro Devices Inc. "
    "[AMD/ATI],D67301";

TEST(GpuParseRocmSmiCsv, Devices) {
  auto r = parse_rocm_smi_csv(kTwoCards);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2U);
  const Device& a = (*r)[0];
  EXPECT_EQ(a.local_index, "0");
  EXPECT_EQ(a.global_index, "0");
  EXPECT_EQ(a.uuid, "4a1b2c3d4e5f");
  EXPECT_EQ(a.name, "AMD Instinct MI210");
  ASSERT_TRUE(a.bus_id.has_value());
  EXPECT_EQ(*a.bus_id, (BusId{.domain = 0, .bus = 3, .device = 0, .function = 0}));
  EXPECT_FALSE(a.mig_enabled);
  EXPECT_FALSE(a.vgpu_enabled);
  EXPECT_TRUE(a.mig_instances.empty());

  const Device& b = (*r)[1];
  EXPECT_EQ(b.local_index, "1");
  EXPECT_EQ(b.uuid, "9f8e7d6c5b4a");
  EXPECT_EQ(b.name, "AMD Instinct MI210");
  ASSERT_TRUE(b.bus_id.has_value());
  EXPECT_EQ(b.bus_id->bus, 0xE3);
}

TEST(GpuParseRocmSmiCsv, SkipsShortRowsBlankLinesAndCrLf) {
  auto r = parse_rocm_smi_csv(
      "\n\nWARNING: something odd\r\n"
      "device,Serial Number,PCI Bus,Card series,Card model,Card vendor,Card SKU\r\n"
      "card2,abc,0000:10:00.0,X\r\n"
      "\r\n"
      "card3,def,garbage,MI50,a,b,c\r\n");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1U);
  EXPECT_EQ((*r)[0].local_index, "3");
  EXPECT_EQ((*r)[0].uuid, "def");
  EXPECT_FALSE((*r)[0].bus_id.has_value());  // unparsable address is kept as unknown
}

TEST(GpuParseRocmSmiCsv, EmptyAndHeaderOnlyAreEmptySuccess) {
  auto e = parse_rocm_smi_csv("");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->empty());
  auto h = parse_rocm_smi_csv("device,Serial Number,PCI Bus,Card series,Card model,Card vendor,Card SKU\n");
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->empty());
}

TEST(GpuParseRocmSmiCsv, TextWithoutTableIsAnErrorQuotingIt) {
  auto r = parse_rocm_smi_csv("\nWARNING: No AMD GPUs specified\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid);
  EXPECT_NE(r.error().message().find("\"WARNING: No AMD GPUs specified\""), std::string::npos)
      << r.error().message();
  // A control byte in the message is not copied into the log line.
  auto c = parse_rocm_smi_csv("bad\x1b[0m");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message().find('\x1b'), std::string::npos);
}

TEST(GpuParseRocmSmiCsv, IndexWithoutCardPrefixKept) {
  auto r = parse_rocm_smi_csv("7,s,0000:01:00.0,n,m,v,k");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1U);
  EXPECT_EQ((*r)[0].local_index, "7");
}

}  // namespace
}  // namespace ceems::gpu
