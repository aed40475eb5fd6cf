#include "ebpf/aggregate.h"

#include <gtest/gtest.h>

#include <string>

#include "core/testing/test_support.h"

namespace ceems::ebpf {
namespace {

using test_support::render;

MapSnapshot sample_snapshot() {
  MapSnapshot s;
  // cid 100 and 101: root and step of job 42; 200: job 43; 999: not a unit.
  s.read = {{100, "/home", 1000, 10, 1},
            {101, "/home", 500, 5, 0},
            {101, "/scratch", 7, 1, 0},
            {200, "/home", 3, 1, 0},
            {999, "/home", 1 << 20, 1, 0}};
  s.write = {{100, "/scratch", 4096, 2, 0}};
  s.open = {{100, 3, 1}, {101, 2, 0}, {999, 9, 9}};
  s.create = {{200, 1, 1}};
  s.unlink = {{101, 4, 0}};
  s.ingress = {{500, 6, 2, 10, 1500}, {501, 6, 2, 5, 700}, {500, 17, 10, 1, 64}};
  s.egress = {{500, 6, 2, 12, 9000}, {500, 99, 7, 1, 1}};
  s.retrans = {{501, 6, 10, 1, 1448}};
  return s;
}

const IdIndex kIo = {{100, "42"}, {101, "42"}, {200, "43"}};
const IdIndex kNet = {{500, "42"}, {501, "42"}};

TEST(EbpfAggregate, SumsPerUnitMountAndProtocol) {
  const Aggregates a = aggregate(sample_snapshot(), kIo, kNet, {});
  ASSERT_EQ(a.read.size(), 3U);
  const auto& home = a.read.at({"42", "/home"});
  EXPECT_EQ(home.bytes, 1500U);
  EXPECT_EQ(home.calls, 15U);
  EXPECT_EQ(home.errors, 1U);
  EXPECT_EQ(a.read.at({"42", "/scratch"}).bytes, 7U);
  EXPECT_EQ(a.read.at({"43", "/home"}).bytes, 3U);
  EXPECT_EQ(a.open.at("42").calls, 5U);
  EXPECT_EQ(a.open.count("999"), 0U);
  EXPECT_EQ(a.ingress.at({"42", "tcp", "ipv4"}).bytes, 2200U);
  EXPECT_EQ(a.ingress.at({"42", "tcp", "ipv4"}).packets, 15U);
  EXPECT_EQ(a.ingress.at({"42", "udp", "ipv6"}).bytes, 64U);
  EXPECT_EQ(a.egress.at({"42", "", ""}).packets, 1U);
}

TEST(EbpfAggregate, IdSpacesAreSeparate) {
  // The VFS index does not resolve network ids and vice versa.
  const Aggregates a = aggregate(sample_snapshot(), kNet, kIo, {});
  EXPECT_TRUE(a.read.empty());
  EXPECT_TRUE(a.ingress.empty());
}

TEST(EbpfAggregate, MountFilterIsASubstringMatch) {
  const Aggregates a = aggregate(sample_snapshot(), kIo, kNet, {"scr", "nothing"});
  ASSERT_EQ(a.read.size(), 1U);
  EXPECT_EQ(a.read.begin()->first.second, "/scratch");
  EXPECT_EQ(a.write.size(), 1U);
  // Filters do not apply to the call counters.
  EXPECT_EQ(a.open.size(), 1U);
}

TEST(EbpfMountLabel, StopsAtNulOrTakesAllBytes) {
  const unsigned char with_nul[8] = {'/', 'h', 'o', 'm', 'e', 0, 'x', 'y'};
  EXPECT_EQ(mount_label(with_nul, sizeof with_nul), "/home");
  const unsigned char full[4] = {'/', 'a', 'b', 'c'};
  EXPECT_EQ(mount_label(full, sizeof full), "/abc");
  EXPECT_EQ(proto_label(6), "tcp");
  EXPECT_EQ(proto_label(17), "udp");
  EXPECT_EQ(proto_label(1), "");
  EXPECT_EQ(family_label(2), "ipv4");
  EXPECT_EQ(family_label(10), "ipv6");
  EXPECT_EQ(family_label(1), "");
}

TEST(EbpfEmit, NamesHelpAndLabelsOfSpec15) {
  MapSnapshot s;
  s.read = {{100, "/home", 1000, 10, 1}};
  s.write = {{100, "/home", 20, 2, 0}};
  s.open = {{100, 3, 1}};
  s.create = {{100, 2, 1}};
  s.unlink = {{100, 1, 0}};
  s.ingress = {{500, 6, 2, 3, 300}};
  s.egress = {{500, 6, 2, 4, 400}};
  s.retrans = {{500, 6, 2, 1, 100}};
  MetricBatch batch;
  emit(aggregate(s, kIo, kNet, {}), {"slurm", "node1", true, true}, batch);
  const std::string text = render(batch);
  const std::vector<std::string> expected = {
      "# HELP ceems_ebpf_read_bytes_total Total number of bytes read from a cgroup in bytes\n",
      "# TYPE ceems_ebpf_read_bytes_total counter\n",
      "# HELP ceems_ebpf_read_requests_total Total number of read requests from a cgroup\n",
      "# HELP ceems_ebpf_read_errors_total Total number of read errors from a cgroup\n",
      "# HELP ceems_ebpf_write_bytes_total Total number of bytes written from a cgroup in bytes\n",
      "# HELP ceems_ebpf_write_requests_total Total number of write requests from a cgroup\n",
      "# HELP ceems_ebpf_write_errors_total Total number of write errors from a cgroup\n",
      "# HELP ceems_ebpf_open_requests_total Total number of open requests from a cgroup\n",
      "# HELP ceems_ebpf_open_errors_total Total number of open errors from a cgroup\n",
      "# HELP ceems_ebpf_create_requests_total Total number of create requests from a cgroup\n",
      "# HELP ceems_ebpf_open_create_total Total number of create errors from a cgroup\n",
      "# TYPE ceems_ebpf_open_create_total counter\n",
      "ceems_ebpf_open_create_total{hostname=\"node1\",manager=\"slurm\",uuid=\"42\"} 1\n",
      "# HELP ceems_ebpf_unlink_requests_total Total number of unlink requests from a cgroup\n",
      "# HELP ceems_ebpf_unlink_errors_total Total number of unlink errors from a cgroup\n",
      "# HELP ceems_ebpf_ingress_packets_total Total number of ingress packets from a cgroup\n",
      "# HELP ceems_ebpf_ingress_bytes_total Total number of ingress bytes from a cgroup\n",
      "# HELP ceems_ebpf_egress_packets_total Total number of egress packets from a cgroup\n",
      "# HELP ceems_ebpf_egress_bytes_total Total number of egress bytes from a cgroup\n",
      "# TYPE ceems_ebpf_egress_bytes_total counter\n",
      "# HELP ceems_ebpf_retrans_packets_total Total number of retransmission packets from a cgroup\n",
      "# HELP ceems_ebpf_retrans_bytes_total Total number of retransmission bytes from a cgroup\n",
  };
  const std::string adjacent =
      std::string("# TYPE ceems_ebpf_open_create_total counter\n") +
      "ceems_ebpf_open_create_total{hostname=\"node1\",manager=\"slurm\",uuid=\"42\"} 1\n";
  EXPECT_NE(text.find(adjacent), std::string::npos) << text;
  const std::string read_sample =
      R"(ceems_ebpf_read_bytes_total{hostname="node1",manager="slurm",mountpoint="/home",uuid="42"} 1000)";
  EXPECT_NE(text.find(read_sample + "\n"), std::string::npos) << text;
  const std::string egress_sample =
      R"(ceems_ebpf_egress_bytes_total{family="ipv4",hostname="node1",manager="slurm",proto="tcp",uuid="42"} 400)";
  EXPECT_NE(text.find(egress_sample + "\n"), std::string::npos) << text;
  for (const auto& e : expected) EXPECT_NE(text.find(e), std::string::npos) << e << "\n---\n" << text;
}

TEST(EbpfEmit, OnlyEnabledGroupsAndZeroValuesKept) {
  MapSnapshot s;
  s.read = {{100, "/home", 0, 0, 0}};
  s.egress = {{500, 6, 2, 4, 400}};
  MetricBatch batch;
  emit(aggregate(s, kIo, kNet, {}), {"libvirt", "h", true, false}, batch);
  const std::string text = render(batch);
  EXPECT_NE(text.find("ceems_ebpf_read_bytes_total{hostname=\"h\",manager=\"libvirt\",mountpoint=\"/"
                      "home\",uuid=\"42\"} 0"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("egress"), std::string::npos);
}

}  // namespace
}  // namespace ceems::ebpf
