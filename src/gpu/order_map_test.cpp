#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gpu/gpu.h"

namespace ceems::gpu {
namespace {

using ::testing::HasSubstr;

Device full_gpu(std::string local, std::string global) {
  Device d;
  d.local_index = std::move(local);
  d.global_index = std::move(global);
  return d;
}

// A MIG GPU whose instances get consecutive global indices from `first_global`.
Device mig_gpu(std::string local, const std::vector<uint64_t>& gis, int first_global) {
  Device d;
  d.local_index = std::move(local);
  d.mig_enabled = true;
  for (size_t i = 0; i < gis.size(); ++i) {
    MigInstance m;
    m.local_index = std::to_string(i);
    m.gpu_inst_id = gis[i];
    m.global_index = std::to_string(first_global + static_cast<int>(i));
    d.mig_instances.push_back(m);
  }
  return d;
}

TEST(GpuParseOrderMap, EntriesWithAndWithoutInstance) {
  auto r = parse_order_map(" 0:1, 1 : 0 . 3 ,2:0.4");
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->size(), 3U);
  EXPECT_EQ((*r)[0].slurm_index, "0");
  EXPECT_EQ((*r)[0].smi_index, "1");
  EXPECT_FALSE((*r)[0].instance_id.has_value());
  EXPECT_EQ((*r)[1].slurm_index, "1");
  EXPECT_EQ((*r)[1].smi_index, "0");
  EXPECT_EQ((*r)[1].instance_id, "3");
  EXPECT_EQ((*r)[2].instance_id, "4");
}

TEST(GpuParseOrderMap, NumbersCanonicalised) {
  auto r = parse_order_map("01:002.0013");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].slurm_index, "1");
  EXPECT_EQ((*r)[0].smi_index, "2");
  EXPECT_EQ((*r)[0].instance_id, "13");
}

TEST(GpuParseOrderMap, EmptyTextIsEmptyMap) {
  auto r = parse_order_map("");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  auto w = parse_order_map("  ");
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE(w->empty());
}

class GpuInvalidOrderMap : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(GpuInvalidOrderMap, RejectedNamingEntryAndFlag) {
  const auto& [text, offending] = GetParam();
  auto r = parse_order_map(text);
  ASSERT_FALSE(r.ok()) << text;
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid);
  EXPECT_THAT(r.error().message(), HasSubstr("--collector.slurm.gpu-order-map"));
  EXPECT_THAT(r.error().message(), HasSubstr("\"" + offending + "\""));
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, GpuInvalidOrderMap,
    ::testing::Values(std::pair<std::string, std::string>{"0:1,2", "2"},          // missing ':'
                      std::pair<std::string, std::string>{"0:1,", ""},            // trailing comma
                      std::pair<std::string, std::string>{",0:1", ""},            // leading comma
                      std::pair<std::string, std::string>{"0:1,,1:0", ""},        // empty entry
                      std::pair<std::string, std::string>{"0:1.2.3", "0:1.2.3"},  // two dots
                      std::pair<std::string, std::string>{"a:1", "a:1"},          // letters
                      std::pair<std::string, std::string>{"0:gpu1", "0:gpu1"},    // letters
                      std::pair<std::string, std::string>{"0:1.x", "0:1.x"},      // letters in GI
                      std::pair<std::string, std::string>{"0:1:2", "0:1:2"},      // two ':'
                      std::pair<std::string, std::string>{"-1:0", "-1:0"},        // negative
                      std::pair<std::string, std::string>{"0:+1", "0:+1"},        // sign
                      std::pair<std::string, std::string>{":1", ":1"},            // empty slurm index
                      std::pair<std::string, std::string>{"0:", "0:"},            // empty smi index
                      std::pair<std::string, std::string>{"0:1.", "0:1."},        // empty GI
                      std::pair<std::string, std::string>{"0:1,0:2", "0:2"},      // duplicate
                      std::pair<std::string, std::string>{"1:0,01:2", "01:2"},    // duplicate after canon
                      std::pair<std::string, std::string>{"0:99999999999999999999",
                                                          "0:99999999999999999999"}));

TEST(GpuApplyOrderMap, SeedExampleFullGpuFirst) {
  // GPU0 MIG with GIs 3,4,5,6 (indices 0..3 from discovery), GPU1 full (index 4).
  std::vector<Device> devs = {mig_gpu("0", {3, 4, 5, 6}, 0), full_gpu("1", "4")};
  auto map = parse_order_map("0:1,1:0.3,2:0.4,3:0.5,4:0.6");
  ASSERT_TRUE(map.ok());
  apply_order_map(devs, *map);
  EXPECT_EQ(devs[1].global_index, "0");
  EXPECT_EQ(devs[0].global_index, "");
  EXPECT_EQ(devs[0].mig_instances[0].global_index, "1");
  EXPECT_EQ(devs[0].mig_instances[1].global_index, "2");
  EXPECT_EQ(devs[0].mig_instances[2].global_index, "3");
  EXPECT_EQ(devs[0].mig_instances[3].global_index, "4");
}

TEST(GpuApplyOrderMap, E2eExample) {
  // 8 GPUs; GPU2 MIG with GIs 1,5,13 and GPU3 MIG with GIs 1,5,6, numbered as discovery does.
  std::vector<Device> devs = {full_gpu("0", "0"),         full_gpu("1", "1"), mig_gpu("2", {1, 5, 13}, 2),
                              mig_gpu("3", {1, 5, 6}, 5), full_gpu("4", "8"), full_gpu("5", "9"),
                              full_gpu("6", "10"),        full_gpu("7", "11")};
  auto map = parse_order_map("0:0,1:1,2:4,3:5,4:2.1,5:2.5,6:2.13,7:3.1,8:3.5,9:3.13,10:6,11:7");
  ASSERT_TRUE(map.ok());
  auto misses = apply_order_map(devs, *map);
  ASSERT_EQ(misses.size(), 1U);
  EXPECT_EQ(misses[0].entry, "9:3.13");
  EXPECT_EQ(misses[0].found, "GPU 3 has MIG GPU instance ids 1,5,6");
  EXPECT_EQ(devs[0].global_index, "0");
  EXPECT_EQ(devs[1].global_index, "1");
  EXPECT_EQ(devs[4].global_index, "2");
  EXPECT_EQ(devs[5].global_index, "3");
  EXPECT_EQ(devs[2].mig_instances[0].global_index, "4");
  EXPECT_EQ(devs[2].mig_instances[1].global_index, "5");
  EXPECT_EQ(devs[2].mig_instances[2].global_index, "6");
  EXPECT_EQ(devs[3].mig_instances[0].global_index, "7");
  EXPECT_EQ(devs[3].mig_instances[1].global_index, "8");
  // 3.13 names no instance of GPU3 (its third GI is 6), which keeps its old index.
  EXPECT_EQ(devs[3].mig_instances[2].global_index, "7");
  EXPECT_EQ(devs[6].global_index, "10");
  EXPECT_EQ(devs[7].global_index, "11");
  EXPECT_EQ(devs[2].global_index, "");
  EXPECT_EQ(devs[3].global_index, "");
}

TEST(GpuApplyOrderMap, FirstMatchingInstanceOnlyAndUnknownTargetsIgnored) {
  std::vector<Device> devs = {mig_gpu("0", {7, 7}, 0), full_gpu("1", "2")};
  auto map = parse_order_map("5:0.7,6:9,7:1.3");
  ASSERT_TRUE(map.ok());
  auto misses = apply_order_map(devs, *map);
  EXPECT_EQ(devs[0].mig_instances[0].global_index, "5");
  EXPECT_EQ(devs[0].mig_instances[1].global_index, "1");
  EXPECT_EQ(devs[1].global_index, "2");  // 1.3: GPU1 has no instances
  ASSERT_EQ(misses.size(), 2U);
  EXPECT_EQ(misses[0].entry, "6:9");
  EXPECT_EQ(misses[1].entry, "7:1.3");
}

TEST(GpuApplyOrderMap, SeedExampleOnANodeWithoutThoseInstancesNamesEachMiss) {
  // The seed's map on a node whose GPU0 has GIs 1,2 and GPU1 is whole.
  std::vector<Device> devs = {mig_gpu("0", {1, 2}, 0), full_gpu("1", "2")};
  devs[0].uuid = "GPU-aaaa";
  auto map = parse_order_map("0:1, 1:0.3 ,2:0.4,3:0.5,4:0.6,5:0.1");
  ASSERT_TRUE(map.ok());
  auto misses = apply_order_map(devs, *map);
  ASSERT_EQ(misses.size(), 4U);
  EXPECT_EQ(misses[0].entry, "1:0.3");
  EXPECT_EQ(misses[0].found, "GPU 0 (GPU-aaaa) has MIG GPU instance ids 1,2");
  EXPECT_EQ(misses[3].entry, "4:0.6");
  EXPECT_EQ(devs[0].mig_instances[0].global_index, "5");
}

TEST(GpuApplyOrderMap, MissesNameWhatDiscoveryFound) {
  std::vector<Device> devs = {full_gpu("0", "0"), full_gpu("1", "1")};
  devs[1].uuid = "GPU-bbbb";
  auto map = parse_order_map("0:1,1:00,2:7,3:1.3");
  ASSERT_TRUE(map.ok());
  auto misses = apply_order_map(devs, *map);
  ASSERT_EQ(misses.size(), 2U);
  EXPECT_EQ(misses[0].entry, "2:7");
  EXPECT_EQ(misses[0].found, "no GPU at position 7; GPUs discovered at positions 0,1");
  EXPECT_EQ(misses[1].entry, "3:1.3");
  EXPECT_EQ(misses[1].found, "GPU 1 (GPU-bbbb) is not MIG-enabled");

  std::vector<Device> none;
  auto all = apply_order_map(none, *map);
  ASSERT_EQ(all.size(), 4U);
  EXPECT_EQ(all[1].entry, "1:00");  // as written, not canonicalised
  EXPECT_EQ(all[1].found, "no GPU was discovered");

  std::vector<Device> mig_without_instances = {full_gpu("0", "")};
  mig_without_instances[0].mig_enabled = true;
  auto m = apply_order_map(mig_without_instances, *parse_order_map("0:0.1"));
  ASSERT_EQ(m.size(), 1U);
  EXPECT_EQ(m[0].found, "GPU 0 has no MIG instances");
}

TEST(GpuApplyOrderMap, EmptyMapChangesNothing) {
  std::vector<Device> devs = {full_gpu("0", "0")};
  EXPECT_TRUE(apply_order_map(devs, {}).empty());
  EXPECT_EQ(devs[0].global_index, "0");
}

}  // namespace
}  // namespace ceems::gpu
