#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "gpu/gpu.h"

namespace ceems::gpu {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Mdev = std::pair<std::string, std::string>;

// Layout of `nvidia-smi vgpu --query`: a full GPU with two vGPUs, an idle GPU, and
// a MIG-backed GPU whose vGPUs sit on GPU instances 1 and 5 (two on 5).
constexpr std::string_view kReport =
    "GPU 00000000:3B:00.0\n"
    "    Active vGPUs                      : 2\n"
    "    vGPU ID                           : 101\n"
    "        VM Name                       : vm-a\n"
    "        MDEV UUID                     : aaaaaaaa-0000-4000-8000-000000000001\n"
    "        GPU Instance ID               : N/A\n"
    "        FB Memory Usage\n"
    "            Total                     : 20480 MiB\n"
    "    vGPU ID                           : 102\n"
    "        MDEV UUID                     : aaaaaaaa-0000-4000-8000-000000000002\n"
    "        GPU Instance ID               : N/A\n"
    "\n"
    "GPU 00000000:5E:00.0\n"
    "    Active vGPUs                      : 0\n"
    "\n"
    "GPU 00000000:86:00.0\n"
    "    Active vGPUs                      : 3\n"
    "    vGPU ID                           : 201\n"
    "        MDEV UUID                     : bbbbbbbb-0000-4000-8000-000000000001\n"
    "        GPU Instance ID               : 1\n"
    "    vGPU ID                           : 202\n"
    "        MDEV UUID                     : bbbbbbbb-0000-4000-8000-000000000002\n"
    "        GPU Instance ID               : 5\n"
    "    vGPU ID                           : 203\n"
    "        MDEV UUID                     : bbbbbbbb-0000-4000-8000-000000000003\n"
    "        GPU Instance ID               : 5\n";

BusId bus(uint16_t b) { return BusId{.domain = 0, .bus = b, .device = 0, .function = 0}; }

TEST(GpuParseNvidiaSmiVgpu, Blocks) {
  auto r = parse_nvidia_smi_vgpu(kReport);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->size(), 3U);
  EXPECT_EQ((*r)[0].bus, bus(0x3B));
  EXPECT_THAT((*r)[0].mdevs, ElementsAre(Mdev{"aaaaaaaa-0000-4000-8000-000000000001", "N/A"},
                                         Mdev{"aaaaaaaa-0000-4000-8000-000000000002", "N/A"}));
  EXPECT_EQ((*r)[1].bus, bus(0x5E));
  EXPECT_THAT((*r)[1].mdevs, IsEmpty());
  EXPECT_EQ((*r)[2].bus, bus(0x86));
  EXPECT_THAT((*r)[2].mdevs, ElementsAre(Mdev{"bbbbbbbb-0000-4000-8000-000000000001", "1"},
                                         Mdev{"bbbbbbbb-0000-4000-8000-000000000002", "5"},
                                         Mdev{"bbbbbbbb-0000-4000-8000-000000000003", "5"}));
}

TEST(GpuParseNvidiaSmiVgpu, LineRules) {
  auto r = parse_nvidia_smi_vgpu(
      "Timestamp : today\n"
      "    MDEV UUID : before-any-gpu\n"  // outside every section
      "GPU 0000:01:00.0 (extra)\n"        // not exactly `GPU <address>`: no header
      "GPU 0000:02:00.0\r\n"              // CRLF tolerated
      "MDEV UUID : no-indent\n"           // needs leading blanks
      "\tMDEV UUID\t: tabbed-1 trailing text\n"
      "    MDEV UUID: no-blank-before-colon\n"
      "    MDEV UUID :  two-blanks-after-colon\n"
      "    MDEV UUID : \n"
      "    GPU Instance ID : 12abc\n"
      "    GPU Instance ID : x\n"
      "    MDEV UUID : second\n"
      "    MDEV UUID : third\n"
      "    GPU Instance ID : N/A\n"
      "GPU ::\n"  // header with no usable address: ends the section, is dropped
      "    MDEV UUID : lost\n"
      "GPU 0000:03:00.1\n");
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->size(), 2U);
  EXPECT_EQ((*r)[0].bus, bus(2));
  // Instance ids pair by position; an mdev without one counts as "N/A".
  EXPECT_THAT((*r)[0].mdevs,
              ElementsAre(Mdev{"tabbed-1", "12"}, Mdev{"second", "N/A"}, Mdev{"third", "N/A"}));
  EXPECT_EQ((*r)[1].bus, (BusId{.domain = 0, .bus = 3, .device = 0, .function = 1}));
  EXPECT_THAT((*r)[1].mdevs, IsEmpty());
}

TEST(GpuParseNvidiaSmiVgpu, EmptyIsNoBlocks) {
  auto r = parse_nvidia_smi_vgpu(" \n");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(GpuParseNvidiaSmiVgpu, TextWithoutGpuSectionIsInvalid) {
  auto r = parse_nvidia_smi_vgpu("NVIDIA-SMI has failed because it couldn't communicate with the driver\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid);
  EXPECT_THAT(r.error().message(), HasSubstr("NVIDIA-SMI has failed"));
}

std::vector<Device> inventory() {
  std::vector<Device> d(4);
  d[0].bus_id = BusId{.domain = 0, .bus = 0x3B, .device = 0, .function = 0};
  d[0].mdev_uuids = {"stale"};
  d[1].bus_id = BusId{.domain = 0, .bus = 0x5E, .device = 0, .function = 0};
  d[1].mdev_uuids = {"gone"};
  d[2].bus_id = BusId{.domain = 0, .bus = 0x86, .device = 0, .function = 0};
  d[2].mig_enabled = true;
  d[2].mdev_uuids = {"untouched-on-mig-gpu"};
  d[2].mig_instances.resize(3);
  d[2].mig_instances[0].gpu_inst_id = 1;
  d[2].mig_instances[0].mdev_uuids = {"old"};
  d[2].mig_instances[1].gpu_inst_id = 5;
  d[2].mig_instances[2].gpu_inst_id = 9;
  d[2].mig_instances[2].mdev_uuids = {"old9"};
  d[3].bus_id = BusId{.domain = 0, .bus = 0xAF, .device = 0, .function = 0};  // not in the report
  d[3].mdev_uuids = {"keep"};
  return d;
}

TEST(GpuApplyVgpu, ReplacesListsOfNamedGpus) {
  auto blocks = parse_nvidia_smi_vgpu(kReport);
  ASSERT_TRUE(blocks.ok());
  std::vector<Device> d = inventory();
  apply_vgpu(d, *blocks);
  EXPECT_THAT(d[0].mdev_uuids,
              ElementsAre("aaaaaaaa-0000-4000-8000-000000000001", "aaaaaaaa-0000-4000-8000-000000000002"));
  EXPECT_THAT(d[1].mdev_uuids, IsEmpty());  // section with no vGPU clears
  EXPECT_THAT(d[2].mdev_uuids, ElementsAre("untouched-on-mig-gpu"));
  EXPECT_THAT(d[2].mig_instances[0].mdev_uuids, ElementsAre("bbbbbbbb-0000-4000-8000-000000000001"));
  EXPECT_THAT(d[2].mig_instances[1].mdev_uuids,
              ElementsAre("bbbbbbbb-0000-4000-8000-000000000002", "bbbbbbbb-0000-4000-8000-000000000003"));
  EXPECT_THAT(d[2].mig_instances[2].mdev_uuids, IsEmpty());
  EXPECT_THAT(d[3].mdev_uuids, ElementsAre("keep"));

  // Applying again changes nothing: no duplicates.
  std::vector<Device> again = d;
  apply_vgpu(again, *blocks);
  EXPECT_EQ(again[0].mdev_uuids, d[0].mdev_uuids);
  EXPECT_EQ(again[2].mig_instances[1].mdev_uuids, d[2].mig_instances[1].mdev_uuids);
}

TEST(GpuApplyVgpu, MatchesBusIdNumericallyAndMergesRepeatedSections) {
  std::vector<Device> d(2);
  d[0].bus_id = BusId{.domain = 0, .bus = 0x10, .device = 0, .function = 0};
  // d[1] has no bus id: never matched.
  d[1].mdev_uuids = {"x"};
  auto blocks = parse_nvidia_smi_vgpu(
      "GPU 0000:10:00.0\n"
      "    MDEV UUID : m1\n"
      "    MDEV UUID : m1\n"
      "GPU 00000000:10:00.0\n"
      "    MDEV UUID : m2\n"
      "    GPU Instance ID : 3\n");
  ASSERT_TRUE(blocks.ok());
  apply_vgpu(d, *blocks);
  EXPECT_THAT(d[0].mdev_uuids, ElementsAre("m1", "m2"));
  EXPECT_THAT(d[1].mdev_uuids, ElementsAre("x"));
}

}  // namespace
}  // namespace ceems::gpu
