#include "dns/message.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "core/strings.h"
#include "dns/testing/dns_wire.h"

namespace ceems::dns {
namespace {

using testing::a_rr;
using testing::aaaa_rr;
using testing::cname_rr;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::header;
using ::testing::IsEmpty;
using testing::reply;
using testing::Rr;
using testing::wire_name;

using namespace std::string_literals;

std::vector<std::string> texts(const std::vector<IpAddress>& addresses) {
  std::vector<std::string> out;
  for (const auto& a : addresses) out.push_back(a.to_string());
  return out;
}

DnsQuery query(std::string_view name, QueryType type = QueryType::kA, uint16_t id = 0x1234) {
  auto q = build_query(name, type, id);
  EXPECT_TRUE(q.ok()) << q.error().message();
  return *q;
}

std::string error_of(std::string_view message, const DnsQuery& q) {
  auto r = parse_response(message, q);
  if (r.ok()) return "<ok>";
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid);
  return r.error().message();
}

TEST(DnsMessage, BuildsAQueryWithOneQuestion) {
  const DnsQuery q = query("bmc-1.Example.com", QueryType::kAaaa, 0xbeef);
  EXPECT_EQ(q.name, "bmc-1.Example.com.");
  EXPECT_EQ(q.wire,
            "\xbe\xef\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
            "\x05"
            "bmc-1\x07"
            "Example\x03"
            "com\x00\x00\x1c\x00\x01"s);
  EXPECT_EQ(query("bmc-1.example.com.", QueryType::kPtr).wire.substr(12),
            wire_name("bmc-1.example.com") + "\x00\x0c\x00\x01"s);
  EXPECT_EQ(query(".").wire.substr(12), "\x00\x00\x01\x00\x01"s);
}

TEST(DnsMessage, RefusesNamesThatCannotBeAsked) {
  const std::string label63(63, 'a');
  EXPECT_TRUE(build_query(label63 + ".example", QueryType::kA, 1).ok());
  std::string longest;
  while (longest.size() + 2 <= 253) longest += longest.empty() ? "a" : ".a";
  ASSERT_EQ(longest.size(), 253u);
  EXPECT_TRUE(build_query(longest + ".", QueryType::kA, 1).ok());
  const auto cases = std::vector<std::pair<std::string, std::string>>{
      {label63 + "a.example", "longer than 63 bytes"},
      {longest + "a", "longer than 253 characters"},
      {"a..b", "empty label"},
      {"", "empty name"},
      {"..", "empty label"},
      {"bad name", "invalid character"},
      {"bmc\\.1", "invalid character"},
      {"-bmc", "starts with '-'"},
      {"a.-b", "starts with '-'"},
  };
  for (const auto& [name, why] : cases) {
    auto q = build_query(name, QueryType::kA, 1);
    ASSERT_FALSE(q.ok()) << name;
    EXPECT_EQ(q.error().kind(), ErrorKind::kInvalid);
    EXPECT_THAT(q.error().message(), HasSubstr(why)) << name;
    EXPECT_THAT(q.error().message(), HasSubstr("invalid DNS name " + quote_for_error(name))) << name;
  }
  EXPECT_TRUE(build_query("_ldap._tcp.example", QueryType::kA, 1).ok());
  EXPECT_TRUE(build_query("bmc-", QueryType::kA, 1).ok());
}

TEST(DnsMessage, ReadsAddressesAndFollowsCnames) {
  const DnsQuery q = query("bmc-1.example.com");
  auto r = parse_response(
      reply(q.wire,
            {cname_rr("BMC-1.example.com", "real.example.net"), a_rr("other.example.net", "192.0.2.99"),
             cname_rr("real.example.net", "final.example.net"), a_rr("final.example.net", "192.0.2.1"),
             aaaa_rr("final.example.net", "::1"), a_rr("Final.Example.NET.", "192.0.2.2")}),
      q);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->rcode, kRcodeNoError);
  EXPECT_FALSE(r->truncated);
  EXPECT_TRUE(r->recursion_available);
  EXPECT_EQ(r->canonical_name, "final.example.net.");
  EXPECT_THAT(texts(r->addresses), ElementsAre("192.0.2.1", "192.0.2.2"));
  EXPECT_EQ(r->answer_count, 6u);

  const DnsQuery q6 = query("bmc-1.example.com", QueryType::kAaaa);
  r = parse_response(
      reply(q6.wire, {aaaa_rr("bmc-1.example.com", "2001:db8::1"), a_rr("bmc-1.example.com", "1.2.3.4")},
            {.authoritative = true}),
      q6);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->authoritative);
  EXPECT_EQ(r->canonical_name, "bmc-1.example.com.");
  EXPECT_THAT(texts(r->addresses), ElementsAre("2001:db8::1"));
}

TEST(DnsMessage, ACnameLoopEnds) {
  const DnsQuery q = query("a.example");
  auto r = parse_response(
      reply(q.wire, {cname_rr("a.example", "b.example"), cname_rr("b.example", "a.example")}), q);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_THAT(r->addresses, IsEmpty());
}

TEST(DnsMessage, ReadsPtrNamesWithCompression) {
  const DnsQuery q = query("4.3.2.1.in-addr.arpa", QueryType::kPtr);
  // The answer's owner points at the question name (offset 12); the target's
  // tail points into the first target.
  std::string m = header(0x1234, 0x8180, 1, 2) + q.wire.substr(12);
  const size_t first_target = m.size() + 12;
  m += "\xc0\x0c\x00\x0c\x00\x01\x00\x00\x00\x3c\x00\x13"s;
  m += "\x05"s + "bmc-1" + "\x07" + "example" + "\x03" + "com" + '\0';
  m += "\xc0\x0c\x00\x0c\x00\x01\x00\x00\x00\x3c\x00\x07"s;
  m += "\x04"s + "bmc1" + '\xc0' + static_cast<char>(first_target + 6);
  auto r = parse_response(m, q);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_THAT(r->names, ElementsAre("bmc-1.example.com.", "bmc1.example.com."));
}

TEST(DnsMessage, EscapesOddBytesInNames) {
  const DnsQuery q = query("4.3.2.1.in-addr.arpa", QueryType::kPtr);
  Rr odd{"4.3.2.1.in-addr.arpa", 12, "\x07"s + "a.b\\c d" + "\x01\x7f" + '\0'};
  auto r = parse_response(reply(q.wire, {odd}), q);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_THAT(r->names, ElementsAre("a\\.b\\\\c\\032d.\\127."));
}

TEST(DnsMessage, TellsRcodesAndTruncationApart) {
  const DnsQuery q = query("bmc-1");
  auto nx = parse_response(reply(q.wire, {}, {.rcode = kRcodeNxDomain}), q);
  ASSERT_TRUE(nx.ok());
  EXPECT_EQ(nx->rcode, kRcodeNxDomain);
  auto servfail =
      parse_response(reply(q.wire, {}, {.rcode = kRcodeServFail, .recursion_available = false}), q);
  ASSERT_TRUE(servfail.ok());
  EXPECT_EQ(servfail->rcode, kRcodeServFail);
  EXPECT_FALSE(servfail->recursion_available);
  // A truncated answer is reported without reading the (cut) records.
  std::string cut = reply(q.wire, {a_rr("bmc-1", "192.0.2.1")}, {.truncated = true});
  cut.resize(cut.size() - 3);
  auto tc = parse_response(cut, q);
  ASSERT_TRUE(tc.ok()) << tc.error().message();
  EXPECT_TRUE(tc->truncated);
  EXPECT_THAT(tc->addresses, IsEmpty());
}

TEST(DnsMessage, RefusesAnswersToAnotherQuery) {
  const DnsQuery q = query("bmc-1.example");
  const std::string good = reply(q.wire, {a_rr("bmc-1.example", "192.0.2.1")});
  ASSERT_TRUE(parse_response(good, q).ok());
  EXPECT_THAT(error_of(good, query("bmc-1.example", QueryType::kA, 0x4321)),
              HasSubstr("id 4660 does not match query id 17185"));
  EXPECT_THAT(error_of(good, query("bmc-2.example")),
              HasSubstr("answers another question (\"bmc-1.example.\""));
  EXPECT_THAT(error_of(good, query("bmc-1.example", QueryType::kAaaa)),
              HasSubstr("answers another question"));
  // The name is compared without case (servers echo it as asked, some in 0x20 mixed case).
  EXPECT_TRUE(parse_response(good, query("BMC-1.Example")).ok());
  std::string other_class = good;
  other_class[12 + wire_name("bmc-1.example").size() + 3] = 3;  // CH
  EXPECT_THAT(error_of(other_class, q), HasSubstr("class 3"));
  std::string as_query = good;
  as_query[2] = static_cast<char>(as_query[2] & 0x7f);
  EXPECT_THAT(error_of(as_query, q), HasSubstr("is a query"));
  std::string opcode = good;
  opcode[2] = static_cast<char>(opcode[2] | 0x10);
  EXPECT_THAT(error_of(opcode, q), HasSubstr("opcode 2"));
  std::string no_question = header(0x1234, 0x8183, 0, 0);
  EXPECT_THAT(error_of(no_question, q), HasSubstr("0 questions"));
  EXPECT_THAT(error_of(header(0x1234, 0x8180, 2, 0) + q.wire.substr(12) + q.wire.substr(12), q),
              HasSubstr("2 questions"));
}

TEST(DnsMessage, SurvivesMaliciousMessages) {
  const DnsQuery q = query("a.example");
  const std::string question = q.wire.substr(12);
  const std::string head = header(0x1234, 0x8180, 1, 1) + question;
  const auto a_record_after = [](const std::string& owner) {
    return owner + "\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x01\x02\x03\x04"s;
  };

  EXPECT_THAT(error_of("", q), HasSubstr("0 bytes is shorter than a header"));
  EXPECT_THAT(error_of("\x12\x34\x81\x80"s, q), HasSubstr("shorter than a header"));
  // Question cut off inside the name, and after it.
  EXPECT_THAT(error_of(header(0x1234, 0x8180, 1, 0) + "\x01"s, q), HasSubstr("runs past the end"));
  EXPECT_THAT(error_of(header(0x1234, 0x8180, 1, 0) + question.substr(0, question.size() - 2), q),
              HasSubstr("question cut off"));
  // An answer count larger than the records there.
  EXPECT_THAT(error_of(header(0x1234, 0x8180, 1, 65535) + question + a_record_after("\xc0\x0c"s), q),
              HasSubstr("record 2 of 65535"));
  // Compression loops: a pointer to itself, two pointing at each other, a pointer forwards.
  EXPECT_THAT(error_of(head + a_record_after("\xc0"s + static_cast<char>(head.size())), q),
              HasSubstr("does not point backwards"));
  {
    std::string m = header(0x1234, 0x8180, 1, 1) + question;
    const size_t at = m.size();
    m += "\x01x\xc0"s + static_cast<char>(at);  // label, then back to the label: a loop with growth
    m += "\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x01\x02\x03\x04"s;
    EXPECT_THAT(error_of(m, q), HasSubstr("name longer than 255 bytes"));
  }
  EXPECT_THAT(error_of(head + a_record_after("\xc0\xff"s), q), HasSubstr("does not point backwards"));
  // Pointers past the end of the message, cut in half, or at the very end.
  EXPECT_THAT(error_of(head + "\xc0"s, q), HasSubstr("pointer cut off"));
  EXPECT_THAT(error_of(header(0x1234, 0x8180, 1, 0) + "\xc0\xff"s, q), HasSubstr("does not point backwards"));
  // Label types 01 and 10 (extended, RFC 6891; obsolete bitstring).
  EXPECT_THAT(error_of(head + a_record_after("\x41\x00"s), q), HasSubstr("unsupported label type"));
  EXPECT_THAT(error_of(head + a_record_after("\x80\x00"s), q), HasSubstr("unsupported label type"));
  // A label longer than what is left.
  EXPECT_THAT(error_of(head + "\x3f" + "abc", q), HasSubstr("label runs past the end"));
  // Record header and data running past the end.
  EXPECT_THAT(error_of(head + "\xc0\x0c\x00\x01\x00"s, q), HasSubstr("record header runs past the end"));
  EXPECT_THAT(error_of(head + "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x05\x01\x02"s, q),
              HasSubstr("data runs past the end"));
  // A/AAAA of the wrong size.
  EXPECT_THAT(error_of(head + "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x03\x01\x02\x03"s, q),
              HasSubstr("A record of 3 bytes"));
  EXPECT_THAT(error_of(head + "\xc0\x0c\x00\x1c\x00\x01\x00\x00\x00\x3c\x00\x04\x01\x02\x03\x04"s, q),
              HasSubstr("AAAA record of 4 bytes"));
  // A CNAME whose target runs past its rdata.
  EXPECT_THAT(error_of(head + "\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x3c\x00\x02\x01z\x00"s, q),
              HasSubstr("name runs past its record"));
  // A name of more than 255 bytes made of plain labels.
  {
    std::string owner;
    for (int i = 0; i < 5; ++i) owner += "\x3f" + std::string(63, 'x');
    EXPECT_THAT(error_of(head + a_record_after(owner + '\0'), q), HasSubstr("name longer than 255 bytes"));
  }
  // Records of another class are skipped, even malformed ones.
  auto chaos = parse_response(head + "\xc0\x0c\x00\x01\x00\x03\x00\x00\x00\x3c\x00\x01\x01"s, q);
  ASSERT_TRUE(chaos.ok()) << chaos.error().message();
  EXPECT_THAT(chaos->addresses, IsEmpty());
  // The header's other counts and whatever follows the answers are not read.
  auto trailing = parse_response(
      header(0x1234, 0x8180, 1, 1, 999, 999) + question + a_record_after("\xc0\x0c"s) + "junk", q);
  ASSERT_TRUE(trailing.ok()) << trailing.error().message();
  EXPECT_THAT(texts(trailing->addresses), ElementsAre("1.2.3.4"));
}

TEST(DnsMessage, ReverseNames) {
  EXPECT_EQ(reverse_name(*IpAddress::parse("192.0.2.1")), "1.2.0.192.in-addr.arpa.");
  EXPECT_EQ(reverse_name(*IpAddress::parse("2001:db8::567:89ab%eth0")),
            "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.");
  EXPECT_EQ(query_type_name(QueryType::kAaaa), "AAAA");
}

TEST(DnsMessage, QueryIdsVary) {
  std::set<uint16_t> ids;
  for (int i = 0; i < 64; ++i) ids.insert(random_query_id());
  EXPECT_GT(ids.size(), 32u);
}

}  // namespace
}  // namespace ceems::dns
