#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "gpu/gpu.h"

namespace ceems::gpu {
namespace {

using ::testing::HasSubstr;

// Shaped like `amd-smi static --asic --bus --json` on a two-GPU node (fields the
// parser ignores trimmed to a few).
constexpr std::string_view kTwoGpus = R"([
  {"gpu": 0,
   "asic": {"market_name": "AMD Instinct MI300X", "vendor_id": "0x1002", "device_id": "0x74a1",
            "asic_serial": "0x5B2F3C4D6E7A8B9C"},
   "bus": {"bdf": "0000:0c:00.0", "max_pcie_width": 16}},
  {"gpu": 1,
   "asic": {"market_name": " AMD Instinct MI300X ", "asic_serial": "0x20170000800C"},
   "bus": {"bdf": "0000:C1:00.0"}}
])";

TEST(GpuParseAmdSmiJson, TopLevelArray) {
  auto r = parse_amd_smi_json(kTwoGpus);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->size(), 2U);
  const Device& a = (*r)[0];
  EXPECT_EQ(a.local_index, "0");
  EXPECT_EQ(a.global_index, "0");
  EXPECT_EQ(a.uuid, "5b2f3c4d6e7a8b9c");
  EXPECT_EQ(a.name, "AMD Instinct MI300X");
  ASSERT_TRUE(a.bus_id.has_value());
  EXPECT_EQ(*a.bus_id, (BusId{.domain = 0, .bus = 0x0c, .device = 0, .function = 0}));
  EXPECT_FALSE(a.mig_enabled);
  EXPECT_FALSE(a.vgpu_enabled);

  const Device& b = (*r)[1];
  EXPECT_EQ(b.local_index, "1");
  EXPECT_EQ(b.global_index, "1");
  EXPECT_EQ(b.uuid, "20170000800c");  // what rocm-smi --showserial prints for this card
  EXPECT_EQ(b.name, "AMD Instinct MI300X");
  ASSERT_TRUE(b.bus_id.has_value());
  EXPECT_EQ(b.bus_id->bus, 0xC1);
}

TEST(GpuParseAmdSmiJson, WrappedInObject) {
  auto r = parse_amd_smi_json(R"({"gpu_data": [{"gpu": 3, "asic": {"asic_serial": "0xABC"},
                                  "bus": {"bdf": "0000:41:00.0"}}], "version": "24.6"})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->size(), 1U);
  EXPECT_EQ((*r)[0].local_index, "3");
  EXPECT_EQ((*r)[0].global_index, "3");
  EXPECT_EQ((*r)[0].uuid, "abc");
  ASSERT_TRUE((*r)[0].bus_id.has_value());
  EXPECT_EQ((*r)[0].bus_id->bus, 0x41);
}

TEST(GpuParseAmdSmiJson, OutputOrderKeptNotSortedByGpuNumber) {
  auto r = parse_amd_smi_json(R"([{"gpu": 5}, {"gpu": 2}])");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2U);
  EXPECT_EQ((*r)[0].local_index, "5");
  EXPECT_EQ((*r)[1].local_index, "2");
}

TEST(GpuParseAmdSmiJson, MissingFieldsDegrade) {
  auto r = parse_amd_smi_json(R"([
    {"asic": {"market_name": "X"}},
    {"gpu": null, "asic": null, "bus": {"bdf": "N/A"}},
    {"gpu": "7", "asic": {"asic_serial": "N/A", "market_name": 12}, "bus": {"bdf": 3}},
    {"gpu": 8, "asic": {"asic_serial": 48879}}
  ])");
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->size(), 4U);
  // No "gpu": the position in the list.
  EXPECT_EQ((*r)[0].local_index, "0");
  EXPECT_EQ((*r)[0].uuid, "");
  EXPECT_EQ((*r)[0].name, "X");
  EXPECT_FALSE((*r)[0].bus_id.has_value());
  EXPECT_EQ((*r)[1].local_index, "1");
  EXPECT_FALSE((*r)[1].bus_id.has_value());
  EXPECT_EQ((*r)[2].local_index, "7");
  EXPECT_EQ((*r)[2].uuid, "N/A");  // not hex: kept as printed
  EXPECT_EQ((*r)[2].name, "");
  EXPECT_FALSE((*r)[2].bus_id.has_value());
  EXPECT_EQ((*r)[3].uuid, "beef");  // numeric serial written as rocm-smi's hex
}

TEST(GpuParseAmdSmiJson, EmptyListIsEmptySuccess) {
  auto a = parse_amd_smi_json("[]");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->empty());
  auto o = parse_amd_smi_json(R"({"gpu_data": []})");
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->empty());
}

TEST(GpuParseAmdSmiJson, BadJsonIsInvalid) {
  for (std::string_view in : {"", "[{\"gpu\": 0,", "AMDSMI error: not found", "[1] trailing"}) {
    auto r = parse_amd_smi_json(in);
    ASSERT_FALSE(r.ok()) << in;
    EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid);
    EXPECT_THAT(r.error().message(), HasSubstr("not valid JSON"));
  }
}

struct ShapeCase {
  std::string_view json;
  std::string_view message;
};

TEST(GpuParseAmdSmiJson, WrongShapeIsInvalidNamingTheProblem) {
  const ShapeCase cases[] = {
      {"42", "top level is a number"},
      {R"("text")", "top level is a string"},
      {R"({"version": "1"})", "holds no array"},
      {R"({"a": [], "b": []})", "more than one array (second is \"b\")"},
      {R"([{"gpu": 0}, 5])", "GPU entry 1 is a number"},
      {R"([{"gpu": -1}])", "\"gpu\" is \"-1\""},
      {R"([{"gpu": 1.5}])", "expected a non-negative integer"},
      {R"([{"gpu": "x"}])", "\"gpu\" is \"\\\"x\\\"\""},
      {R"([{"gpu": 0, "asic": "MI300X"}])", "\"asic\" is a string, expected an object"},
      {R"([{"gpu": 0, "bus": []}])", "\"bus\" is an array, expected an object"},
  };
  for (const ShapeCase& c : cases) {
    auto r = parse_amd_smi_json(c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid);
    EXPECT_THAT(r.error().message(), HasSubstr(std::string(c.message))) << c.json;
  }
}

}  // namespace
}  // namespace ceems::gpu
