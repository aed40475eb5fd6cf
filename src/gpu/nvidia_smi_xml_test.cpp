#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/filesystem.h"
#include "gpu/gpu.h"

namespace ceems::gpu {
namespace {

using ::testing::HasSubstr;

const std::string kTestData = CEEMS_TEST_DATA_DIR;

std::string three_gpu_xml() {
  auto text = real_filesystem().read_file(kTestData + "/nvidia-smi-3gpu-mig.xml");
  if (!text) ADD_FAILURE() << text.error().message();
  return text ? *text : std::string();
}

// One <gpu> with the given MIG mode and mig_devices body.
std::string one_gpu(std::string_view current_mig, std::string_view mig_devices) {
  return "<nvidia_smi_log><gpu id=\"00000000:01:00.0\"><uuid>GPU-x</uuid><mig_mode><current_mig>" +
         std::string(current_mig) + "</current_mig></mig_mode><mig_devices>" + std::string(mig_devices) +
         "</mig_devices></gpu></nvidia_smi_log>";
}

std::string mig(std::string_view index, std::string_view gi, std::string_view ci, std::string_view sm) {
  return "<mig_device><index>" + std::string(index) + "</index><gpu_instance_id>" + std::string(gi) +
         "</gpu_instance_id><compute_instance_id>" + std::string(ci) +
         "</compute_instance_id><device_attributes><shared><multiprocessor_count>" + std::string(sm) +
         "</multiprocessor_count></shared></device_attributes></mig_device>";
}

TEST(GpuParseNvidiaSmiXml, ThreeGpusOneMig) {
  auto r = parse_nvidia_smi_xml(three_gpu_xml());
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->size(), 3U);

  const Device& g0 = (*r)[0];
  EXPECT_EQ(g0.local_index, "0");
  EXPECT_EQ(g0.global_index, "0");
  EXPECT_EQ(g0.uuid, "GPU-0a1b2c3d-1111-2222-3333-444455556666");
  EXPECT_EQ(g0.name, "NVIDIA H100 80GB HBM3 NVIDIA Hopper");
  ASSERT_TRUE(g0.bus_id.has_value());
  EXPECT_EQ(*g0.bus_id, (BusId{.domain = 0, .bus = 0x3B, .device = 0, .function = 0}));
  EXPECT_FALSE(g0.mig_enabled);
  EXPECT_FALSE(g0.vgpu_enabled);
  EXPECT_TRUE(g0.mig_instances.empty());  // `None`

  const Device& g1 = (*r)[1];
  EXPECT_EQ(g1.local_index, "1");
  EXPECT_EQ(g1.global_index, "");
  EXPECT_TRUE(g1.mig_enabled);
  ASSERT_EQ(g1.mig_instances.size(), 3U);
  const auto& m = g1.mig_instances;
  EXPECT_EQ(m[0].local_index, "0");
  EXPECT_EQ(m[0].global_index, "1");
  EXPECT_EQ(m[0].gpu_inst_id, 2U);
  EXPECT_EQ(m[0].compute_inst_id, 0U);
  EXPECT_DOUBLE_EQ(m[0].sm_fraction, 0.5);  // 60 of 120
  EXPECT_EQ(m[1].local_index, "1");
  EXPECT_EQ(m[1].global_index, "2");
  EXPECT_EQ(m[1].gpu_inst_id, 3U);
  EXPECT_DOUBLE_EQ(m[1].sm_fraction, 32.0 / 120.0);
  EXPECT_EQ(m[2].local_index, "2");
  EXPECT_EQ(m[2].global_index, "3");
  EXPECT_EQ(m[2].gpu_inst_id, 9U);
  EXPECT_EQ(m[2].compute_inst_id, 1U);
  EXPECT_DOUBLE_EQ(m[2].sm_fraction, 28.0 / 120.0);

  const Device& g2 = (*r)[2];
  EXPECT_EQ(g2.local_index, "2");
  EXPECT_EQ(g2.global_index, "4");
  EXPECT_FALSE(g2.mig_enabled);  // `N/A`
  EXPECT_TRUE(g2.vgpu_enabled);
  ASSERT_TRUE(g2.bus_id.has_value());
  EXPECT_EQ(g2.bus_id->bus, 0xAF);
}

TEST(GpuParseNvidiaSmiXml, DeclarationAndDoctypeWithoutQuotesAccepted) {
  // Some recordings carry the declaration and DTD without quotes.
  auto r =
      parse_nvidia_smi_xml("<?xml version=1.0 ?>\n<!DOCTYPE nvidia_smi_log SYSTEM nvsmi_device_v12.dtd>\n" +
                           one_gpu("N/A", "None"));
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->size(), 1U);
  EXPECT_EQ((*r)[0].global_index, "0");
  EXPECT_EQ((*r)[0].uuid, "GPU-x");
}

TEST(GpuParseNvidiaSmiXml, NoGpus) {
  auto r = parse_nvidia_smi_xml("<nvidia_smi_log><attached_gpus>0</attached_gpus></nvidia_smi_log>");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(GpuParseNvidiaSmiXml, ZeroTotalSmsGivesNaN) {
  auto r = parse_nvidia_smi_xml(one_gpu("Enabled", mig("0", "1", "0", "0") + mig("1", "2", "0", "")));
  ASSERT_TRUE(r.ok()) << r.error().message();
  const auto& inst = (*r)[0].mig_instances;
  ASSERT_EQ(inst.size(), 2U);
  EXPECT_TRUE(std::isnan(inst[0].sm_fraction));
  EXPECT_TRUE(std::isnan(inst[1].sm_fraction));
  EXPECT_EQ(inst[0].global_index, "0");
  EXPECT_EQ(inst[1].global_index, "1");
}

TEST(GpuParseNvidiaSmiXml, NonNumericMigFieldsAreZeroNotFatal) {
  // The original rejected the whole document here (and lost every GPU).
  auto r =
      parse_nvidia_smi_xml(one_gpu("Enabled", mig("N/A", "N/A", " 4 ", "N/A") + mig("1", "3", "0", "14")));
  ASSERT_TRUE(r.ok()) << r.error().message();
  const auto& inst = (*r)[0].mig_instances;
  ASSERT_EQ(inst.size(), 2U);
  EXPECT_EQ(inst[0].local_index, "0");
  EXPECT_EQ(inst[0].gpu_inst_id, 0U);
  EXPECT_EQ(inst[0].compute_inst_id, 4U);
  EXPECT_DOUBLE_EQ(inst[0].sm_fraction, 0.0);
  EXPECT_EQ(inst[1].gpu_inst_id, 3U);
  EXPECT_DOUBLE_EQ(inst[1].sm_fraction, 1.0);
}

TEST(GpuParseNvidiaSmiXml, MigDevicesUnderNonMigGpuStillNumbered) {
  auto r = parse_nvidia_smi_xml(one_gpu("Disabled", mig("0", "1", "0", "10")));
  ASSERT_TRUE(r.ok());
  const Device& d = (*r)[0];
  EXPECT_FALSE(d.mig_enabled);
  EXPECT_EQ(d.global_index, "0");
  ASSERT_EQ(d.mig_instances.size(), 1U);
  EXPECT_EQ(d.mig_instances[0].global_index, "1");
}

TEST(GpuParseNvidiaSmiXml, BadBusIdIsUnknownNotError) {
  auto r =
      parse_nvidia_smi_xml("<nvidia_smi_log><gpu id=\"N/A\"><uuid>GPU-y</uuid></gpu><gpu/></nvidia_smi_log>");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2U);
  EXPECT_FALSE((*r)[0].bus_id.has_value());
  EXPECT_EQ((*r)[0].uuid, "GPU-y");
  EXPECT_EQ((*r)[1].uuid, "");
  EXPECT_EQ((*r)[1].global_index, "1");
}

TEST(GpuParseNvidiaSmiXml, NotXml) {
  auto r =
      parse_nvidia_smi_xml("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid);
  EXPECT_THAT(r.error().message(), HasSubstr("not valid XML"));
  EXPECT_THAT(r.error().message(), HasSubstr("NVIDIA-SMI has failed"));
}

TEST(GpuParseNvidiaSmiXml, EmptyInput) {
  auto r = parse_nvidia_smi_xml("");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid);
}

TEST(GpuParseNvidiaSmiXml, Truncated) {
  auto r = parse_nvidia_smi_xml("<nvidia_smi_log><gpu id=\"00000000:01:00.0\"><uuid>GPU-");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("not valid XML"));
}

TEST(GpuParseNvidiaSmiXml, WrongRoot) {
  auto r = parse_nvidia_smi_xml("<?xml version=\"1.0\"?><rocm><gpu/></rocm>");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("<rocm>"));
  EXPECT_THAT(r.error().message(), HasSubstr("nvidia_smi_log"));
}

}  // namespace
}  // namespace ceems::gpu
