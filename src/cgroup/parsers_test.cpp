#include "cgroup/parsers.h"

#include <gtest/gtest.h>

#include <limits>
#include <optional>
#include <string>

namespace ceems::cgroup {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

TEST(CgroupUint, GoParseUintRules) {
  EXPECT_EQ(*parse_cgroup_uint("0"), 0U);
  EXPECT_EQ(*parse_cgroup_uint("18446744073709551615"), kMax);
  EXPECT_EQ(*parse_cgroup_uint("-1"), 0U);
  EXPECT_EQ(*parse_cgroup_uint("-99999999999999999999999"), 0U);  // out of int64 range, still negative
  EXPECT_FALSE(parse_cgroup_uint("18446744073709551616").ok());   // overflow
  EXPECT_FALSE(parse_cgroup_uint("").ok());
  EXPECT_FALSE(parse_cgroup_uint("+5").ok());
  EXPECT_FALSE(parse_cgroup_uint("-0").ok());  // ParseInt gives 0, which is not negative
  EXPECT_FALSE(parse_cgroup_uint("-").ok());
  EXPECT_FALSE(parse_cgroup_uint(" 5").ok());
  auto bad = parse_cgroup_uint("12a");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind(), ErrorKind::kInvalid);
  EXPECT_NE(bad.error().message().find("\"12a\""), std::string::npos) << bad.error().message();
}

TEST(CgroupUint, SingleValueFiles) {
  EXPECT_EQ(*parse_v1_value("4096\n"), 4096U);
  EXPECT_EQ(*parse_v1_value("max\n"), 0U);
  EXPECT_EQ(*parse_v1_value("-3\n"), 0U);
  EXPECT_EQ(*parse_v1_value("9223372036854771712\n"), 9223372036854771712ULL);
  EXPECT_FALSE(parse_v1_value("").ok());
  EXPECT_FALSE(parse_v1_value("\n").ok());
  EXPECT_FALSE(parse_v1_value("1 2\n").ok());
  EXPECT_EQ(*parse_v2_value("max\n"), kMax);
  EXPECT_EQ(*parse_v2_value("4294967296\n"), 4294967296ULL);
  EXPECT_EQ(*parse_v2_value("-7"), 0U);
  EXPECT_FALSE(parse_v2_value("junk").ok());
}

TEST(CgroupFlatKeyed, ParsesAndLooksUp) {
  auto kvs = parse_flat_keyed("cache 100\nrss 200\ntotal_rss -5\nrss 300\n");
  ASSERT_TRUE(kvs.ok()) << kvs.error().message();
  EXPECT_EQ(kvs->size(), 4U);
  EXPECT_EQ(find_key(*kvs, "cache"), 100U);
  EXPECT_EQ(find_key(*kvs, "rss"), 300U);  // the last line wins, like a map
  EXPECT_EQ(find_key(*kvs, "total_rss"), 0U);
  EXPECT_FALSE(find_key(*kvs, "absent").has_value());
  EXPECT_TRUE(parse_flat_keyed("").ok());
  EXPECT_TRUE(parse_flat_keyed("a 1\r\nb 2").ok());  // CRLF and no final newline
}

TEST(CgroupFlatKeyed, MalformedLines) {
  for (const char* text : {"a\n", "a 1 2\n", "a 1\n\nb 2\n", "\n", "a 1\nb x\n"}) {
    auto r = parse_flat_keyed(text, true);
    EXPECT_FALSE(r.ok()) << text;
  }
  // v2 keeps a non-numeric value (read as 0) but still rejects a bad field count.
  auto lenient = parse_flat_keyed("a x\nb 2\n", false);
  ASSERT_TRUE(lenient.ok());
  EXPECT_EQ(find_key(*lenient, "a"), 0U);
  EXPECT_EQ(find_key(*lenient, "b"), 2U);
  EXPECT_FALSE(parse_flat_keyed("a\n", false).ok());
  auto err = parse_flat_keyed("rss 1\nbogus line here\n");
  ASSERT_FALSE(err.ok());
  EXPECT_NE(err.error().message().find("\"bogus line here\""), std::string::npos) << err.error().message();
}

// scan_flat_keyed gives what parse_flat_keyed + find_key give, errors included.
void expect_scan_matches(std::string_view text, bool strict) {
  const std::string_view keys[] = {"anon", "file", "oom"};
  std::optional<uint64_t> got[3];
  Status st = scan_flat_keyed(text, strict, keys, got);
  auto kvs = parse_flat_keyed(text, strict);
  ASSERT_EQ(st.ok(), kvs.ok()) << text;
  if (!kvs) {
    EXPECT_EQ(st.error().message(), kvs.error().message());
    return;
  }
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(got[i], find_key(*kvs, keys[i])) << text << " " << keys[i];
}

TEST(CgroupFlatKeyed, ScanEqualsParseAndFind) {
  for (bool strict : {false, true}) {
    expect_scan_matches("anon 1\nfile 2\n", strict);
    expect_scan_matches("anon 1\nanon 3\nshmem x\n", strict);
    expect_scan_matches("anon -5\nfile 18446744073709551616\n", strict);
    expect_scan_matches("anon 1\n\nfile 2\n", strict);
    expect_scan_matches("anon 1 2\n", strict);
    expect_scan_matches("", strict);
    expect_scan_matches("oom 7", strict);
  }
}

TEST(CgroupCpuacct, StatAndPercpu) {
  auto t = parse_cpuacct_stat("user 39\nsystem 45\n");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->user, 39U);
  EXPECT_EQ(t->system, 45U);
  EXPECT_FALSE(parse_cpuacct_stat("user 39\n").ok());
  EXPECT_FALSE(parse_cpuacct_stat("system 1\n").ok());
  EXPECT_FALSE(parse_cpuacct_stat("user x\nsystem 1\n").ok());
  auto p = parse_percpu("1 2 3 \n");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->size(), 3U);
  EXPECT_TRUE(parse_percpu("").ok());
  EXPECT_FALSE(parse_percpu("1 -2\n").ok());  // plain ParseUint there
}

TEST(CgroupPsi, FullTotal) {
  const char* ok =
      "some avg10=0.00 avg60=0.00 avg300=0.00 total=2000000\n"
      "full avg10=1.50 avg60=0.00 avg300=0.00 total=1500000\n";
  EXPECT_EQ(*parse_psi_full_total(ok), 1500000U);
  auto none = parse_psi_full_total("some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().kind(), ErrorKind::kNoData);
  EXPECT_FALSE(parse_psi_full_total("").ok());
  // A malformed field anywhere discards the whole file.
  EXPECT_FALSE(parse_psi_full_total("some avg10=x total=1\nfull total=2\n").ok());
  EXPECT_FALSE(parse_psi_full_total("full avg10 total=2\n").ok());
  EXPECT_FALSE(parse_psi_full_total("full total=-2\n").ok());
  EXPECT_EQ(*parse_psi_full_total("\nfull unknown=zz total=7\n"), 7U);
}

TEST(CgroupIoStat, Entries) {
  auto e = parse_io_stat(
      "8:0 rbytes=1024 wbytes=2048 rios=3 wios=4 dbytes=0 dios=0\n"
      "junk line\n"
      "259:1 rbytes=x wbytes=5 bogus\n");
  ASSERT_EQ(e.size(), 2U);
  EXPECT_EQ(e[0].major, 8U);
  EXPECT_EQ(e[0].rbytes, 1024U);
  EXPECT_EQ(e[0].wbytes, 2048U);
  EXPECT_EQ(e[0].rios, 3U);
  EXPECT_EQ(e[0].wios, 4U);
  EXPECT_EQ(e[1].major, 259U);
  EXPECT_EQ(e[1].minor, 1U);
  EXPECT_EQ(e[1].rbytes, 0U);
  EXPECT_EQ(e[1].wbytes, 5U);
  // A non-numeric major stops parsing; entries so far are kept.
  EXPECT_EQ(parse_io_stat("8:0 rbytes=1\nx:0 rbytes=1\n8:1 rbytes=1\n").size(), 1U);
  EXPECT_TRUE(parse_io_stat("").empty());
}

TEST(CgroupBlkio, Lines) {
  auto e = parse_blkio("8:0 Read 10957\n8:0 Write 4803\n8:16 99\nTotal 15760");
  ASSERT_TRUE(e.ok()) << e.error().message();
  ASSERT_EQ(e->size(), 3U);
  EXPECT_EQ((*e)[0].op, "Read");
  EXPECT_EQ((*e)[0].value, 10957U);
  EXPECT_EQ((*e)[2].minor, 16U);
  EXPECT_EQ((*e)[2].op, "");
  EXPECT_EQ((*e)[2].value, 99U);
  EXPECT_TRUE(parse_blkio("").ok());
  for (const char* bad : {"8:0 Read\n", "x:0 Read 1\n", "8:0 Read -1\n", "\n", "Total\n", "8:0 Read 1 2\n"}) {
    EXPECT_FALSE(parse_blkio(bad).ok()) << bad;
  }
}

TEST(CgroupRdma, Entries) {
  auto e =
      parse_rdma("hfi1_0 hca_handle=479 hca_object=340\nmlx5_0 hca_handle=max hca_object=-1\nbad line\n");
  ASSERT_EQ(e.size(), 2U);
  EXPECT_EQ(e[0].device, "hfi1_0");
  EXPECT_EQ(e[0].handles, 479U);
  EXPECT_EQ(e[0].objects, 340U);
  EXPECT_EQ(e[1].handles, 4294967295U);
  EXPECT_EQ(e[1].objects, 0U);
  auto big = parse_rdma("d hca_handle=4294967296 hca_object=x\n");
  ASSERT_EQ(big.size(), 1U);
  EXPECT_EQ(big[0].handles, 0U);  // out of uint32 range: left at 0
  EXPECT_EQ(rdma_line_count("a\nb"), 2U);
  EXPECT_EQ(rdma_line_count("a\nb\n"), 3U);
  EXPECT_EQ(rdma_line_count(""), 1U);
}

TEST(CgroupCpus, Counting) {
  EXPECT_EQ(*count_cpus("0-3,8,10-11"), 7U);
  EXPECT_EQ(*count_cpus("0-3,8,10-11\n"), 7U);
  EXPECT_EQ(*count_cpus("1,41\n"), 2U);
  EXPECT_EQ(*count_cpus("5"), 1U);
  EXPECT_EQ(*count_cpus("3-1"), 0U);  // reversed range: the original's loop runs 0 times
  for (const char* bad : {"", "\n", "0-3,", ",1", "a", "1-", "-1", "0-3\n\n", "1-2-3", " 1", "\x01\xff"}) {
    EXPECT_FALSE(count_cpus(bad).ok()) << bad;
  }
}

TEST(CgroupProcs, StrictAndLenient) {
  auto p = parse_cgroup_procs("1\n22\n333\n");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, (std::vector<pid_t>{1, 22, 333}));
  EXPECT_TRUE(parse_cgroup_procs("")->empty());
  EXPECT_FALSE(parse_cgroup_procs("1\nx\n").ok());
  EXPECT_FALSE(parse_cgroup_procs("99999999999\n").ok());
  std::vector<pid_t> out{7};
  append_cgroup_procs("1\nx\n\n3", out);
  EXPECT_EQ(out, (std::vector<pid_t>{7, 1, 3}));
}

TEST(CgroupDiskstats, Names) {
  auto m = parse_diskstats(
      "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11\n"
      "   8      32 sdc 1 2 3 4 5 6 7 8 9 10 11\n"
      "   8       0 sdb 1 2 3\n");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->at("8:32"), "sdc");
  EXPECT_EQ(m->at("8:0"), "sdb");  // a later line wins
  EXPECT_FALSE(parse_diskstats("x 0 sda\n").ok());
  EXPECT_FALSE(parse_diskstats("8 0\n").ok());
}

TEST(CgroupMeminfo, Totals) {
  auto m = parse_host_memory(
      "MemTotal:       15666184 kB\nMemFree: 1 kB\nSwapTotal:  2 kB\nHugePages_Total:  0\n");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->mem_total, 15666184ULL * 1024);
  EXPECT_EQ(m->swap_total, 2048U);
  EXPECT_FALSE(parse_host_memory("MemTotal 1 kB\n").ok());
  EXPECT_FALSE(parse_host_memory("MemTotal: x kB\n").ok());
}

TEST(CgroupUnescape, GoStringLiteralRules) {
  EXPECT_EQ(*unescape_path("/a/b"), "/a/b");
  EXPECT_EQ(*unescape_path(R"(machine-qemu\x2d2\x2dinstance\x2d00000001.scope)"),
            "machine-qemu-2-instance-00000001.scope");
  EXPECT_EQ(*unescape_path(R"(a\nb\tc\\d\"e)"), "a\nb\tc\\d\"e");
  EXPECT_EQ(*unescape_path(R"(\u00e9\U0001F600)"), "\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_EQ(*unescape_path(R"(\101\060)"), "A0");
  EXPECT_EQ(*unescape_path(R"(\a\b\f\r\v)"), "\a\b\f\r\v");
  EXPECT_EQ(*unescape_path(R"(\xff)"), "\xff");  // a raw byte, as Go keeps it
  EXPECT_EQ(*unescape_path("a\xff"
                           "b"),
            "a\xEF\xBF\xBD"
            "b");  // raw invalid UTF-8 → U+FFFD
  EXPECT_EQ(*unescape_path("\xC3\xA9"), "\xC3\xA9");
  for (const char* bad : {R"(\q)", R"(\')", "\\", R"(\x2)", R"(\xzz)", R"(\u12)", R"(\ud800)",
                          R"(\U00110000)", R"(\400)", R"(\12)", R"(\18x)", "a\"b", "a\nb"}) {
    auto r = unescape_path(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid);
    }
  }
  std::string buf = "stale";
  ASSERT_TRUE(unescape_path_into("x\\x41", buf).ok());
  EXPECT_EQ(buf, "xA");
}

TEST(CgroupParsers, BinaryJunkNeverCrashes) {
  std::string junk;
  for (int i = 0; i < 512; ++i) junk.push_back(static_cast<char>((i * 131) & 0xff));
  (void)parse_flat_keyed(junk);
  (void)parse_cpuacct_stat(junk);
  (void)parse_psi_full_total(junk);
  (void)parse_io_stat(junk);
  (void)parse_blkio(junk);
  (void)parse_rdma(junk);
  (void)count_cpus(junk);
  (void)parse_cgroup_procs(junk);
  (void)parse_diskstats(junk);
  (void)parse_host_memory(junk);
  (void)unescape_path(junk);
  SUCCEED();
}

}  // namespace
}  // namespace ceems::cgroup
