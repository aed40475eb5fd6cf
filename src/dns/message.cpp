#include "dns/message.h"

#include <sys/random.h>

#include <cstring>
#include <random>

#include "core/strings.h"
#include "dns/names.h"

namespace ceems::dns {
namespace {

constexpr size_t kHeaderSize = 12;
constexpr size_t kMaxWireName = 255;
constexpr uint16_t kClassIn = 1;
constexpr uint16_t kTypeCname = 5;
// More pointers than a 255-byte name has labels means a loop the backwards rule missed.
constexpr int kMaxPointers = 127;

uint16_t u16_at(std::string_view m, size_t off) {
  return static_cast<uint16_t>(static_cast<uint8_t>(m[off]) << 8 | static_cast<uint8_t>(m[off + 1]));
}

void put_u16(std::string& out, uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xff);
}

// Zone-file escapes, so that a label holding a dot cannot pass for two labels.
void append_label(std::string& out, std::string_view label) {
  for (const char ch : label) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '.' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x21 || c > 0x7e) {
      out += '\\';
      out += static_cast<char>('0' + c / 100);
      out += static_cast<char>('0' + c / 10 % 10);
      out += static_cast<char>('0' + c % 10);
    } else {
      out += ch;
    }
  }
  out += '.';
}

struct Name {
  std::string text;  // absolute, "." for the root
  size_t end = 0;    // offset just past the name where it was read (past its first pointer)
};

Result<Name> read_name(std::string_view m, size_t off, std::string_view what) {
  Name name;
  size_t pos = off;
  bool jumped = false;
  size_t wire = 1;  // the root label
  int pointers = 0;
  while (true) {
    if (pos >= m.size()) return invalid(std::string(what) + ": name runs past the end of the message");
    const auto len = static_cast<uint8_t>(m[pos]);
    if ((len & 0xc0) == 0xc0) {
      if (pos + 1 >= m.size()) return invalid(std::string(what) + ": compression pointer cut off");
      const size_t target = static_cast<size_t>(len & 0x3f) << 8 | static_cast<uint8_t>(m[pos + 1]);
      // RFC 1035 4.1.4: a pointer refers to a prior occurrence. Requiring it
      // (with the length bound below) ends every loop.
      if (target >= pos || ++pointers > kMaxPointers) {
        return invalid(std::string(what) + ": compression pointer at offset " + std::to_string(pos) +
                       " to offset " + std::to_string(target) + " does not point backwards");
      }
      if (!jumped) name.end = pos + 2;
      jumped = true;
      pos = target;
      continue;
    }
    if ((len & 0xc0) != 0) {
      return invalid(std::string(what) + ": unsupported label type at offset " + std::to_string(pos));
    }
    if (len == 0) {
      if (!jumped) name.end = pos + 1;
      break;
    }
    if (len > m.size() - pos - 1) {
      return invalid(std::string(what) + ": label runs past the end of the message");
    }
    wire += 1 + len;
    if (wire > kMaxWireName) return invalid(std::string(what) + ": name longer than 255 bytes");
    append_label(name.text, m.substr(pos + 1, len));
    pos += 1 + len;
  }
  if (name.text.empty()) name.text = ".";
  return name;
}

struct Record {
  std::string owner;
  uint16_t type = 0;
  size_t rdata = 0;  // offset
  uint16_t rdlength = 0;
};

Result<std::string> read_rdata_name(std::string_view m, const Record& r, std::string_view what) {
  auto name = read_name(m, r.rdata, what);
  if (!name) return name.error();
  if (name->end > r.rdata + r.rdlength) return invalid(std::string(what) + ": name runs past its record");
  return std::move(name->text);
}

}  // namespace

std::string_view query_type_name(QueryType type) {
  switch (type) {
    case QueryType::kA:
      return "A";
    case QueryType::kAaaa:
      return "AAAA";
    case QueryType::kPtr:
      return "PTR";
  }
  return "?";
}

Result<DnsQuery> build_query(std::string_view name, QueryType type, uint16_t id) {
  if (const std::string why = check_domain_name(name); !why.empty()) {
    return invalid("invalid DNS name " + quote_for_error(name) + ": " + why);
  }
  DnsQuery q{.id = id, .name = rooted(name), .type = type};
  std::string& w = q.wire;
  w.reserve(kHeaderSize + q.name.size() + 5);
  put_u16(w, id);
  put_u16(w, 0x0100);  // RD: the server is a recursive resolver
  put_u16(w, 1);       // QDCOUNT
  put_u16(w, 0);
  put_u16(w, 0);
  put_u16(w, 0);
  if (q.name != ".") {
    for (std::string_view label : split(strip_trailing_dot(q.name), '.')) {
      w += static_cast<char>(label.size());
      w += label;
    }
  }
  w += '\0';
  put_u16(w, static_cast<uint16_t>(type));
  put_u16(w, kClassIn);
  return q;
}

uint16_t random_query_id() {
  uint16_t id = 0;
  if (::getrandom(&id, sizeof id, GRND_NONBLOCK) == static_cast<ssize_t>(sizeof id)) return id;
  // Only before the kernel's pool is ready, or on a kernel without getrandom(2).
  thread_local std::mt19937 gen{std::random_device{}()};
  return static_cast<uint16_t>(gen());
}

Result<DnsResponse> parse_response(std::string_view m, const DnsQuery& query) {
  if (m.size() < kHeaderSize) {
    return invalid("DNS response of " + std::to_string(m.size()) + " bytes is shorter than a header");
  }
  const uint16_t id = u16_at(m, 0);
  if (id != query.id) {
    return invalid("DNS response id " + std::to_string(id) + " does not match query id " +
                   std::to_string(query.id));
  }
  const uint16_t flags = u16_at(m, 2);
  if ((flags & 0x8000) == 0) return invalid("DNS message is a query, not a response");
  if (((flags >> 11) & 0xf) != 0)
    return invalid("DNS response has opcode " + std::to_string((flags >> 11) & 0xf));
  DnsResponse r;
  r.authoritative = (flags & 0x0400) != 0;
  r.truncated = (flags & 0x0200) != 0;
  r.recursion_available = (flags & 0x0080) != 0;
  r.rcode = static_cast<uint8_t>(flags & 0xf);
  const uint16_t qdcount = u16_at(m, 4);
  const uint16_t ancount = u16_at(m, 6);
  if (qdcount != 1) return invalid("DNS response has " + std::to_string(qdcount) + " questions, expected 1");

  auto qname = read_name(m, kHeaderSize, "DNS response question");
  if (!qname) return qname.error();
  size_t pos = qname->end;
  if (m.size() - pos < 4) return invalid("DNS response question cut off");
  const uint16_t qtype = u16_at(m, pos);
  const uint16_t qclass = u16_at(m, pos + 2);
  pos += 4;
  if (!names_equal(qname->text, query.name) || qtype != static_cast<uint16_t>(query.type) ||
      qclass != kClassIn) {
    return invalid("DNS response answers another question (" + quote_for_error(qname->text) + " type " +
                   std::to_string(qtype) + " class " + std::to_string(qclass) + ")");
  }
  r.canonical_name = query.name;
  // The rest of a truncated UDP answer may be cut anywhere.
  if (r.truncated) return r;

  std::vector<Record> records;
  for (size_t i = 0; i < ancount; ++i) {
    const std::string what = "DNS answer record " + std::to_string(i + 1) + " of " + std::to_string(ancount);
    auto owner = read_name(m, pos, what);
    if (!owner) return owner.error();
    pos = owner->end;
    if (m.size() - pos < 10) return invalid(what + ": record header runs past the end of the message");
    Record rec{.owner = std::move(owner->text), .type = u16_at(m, pos)};
    const uint16_t rclass = u16_at(m, pos + 2);
    rec.rdlength = u16_at(m, pos + 8);
    rec.rdata = pos + 10;
    if (m.size() - rec.rdata < rec.rdlength) return invalid(what + ": data runs past the end of the message");
    pos = rec.rdata + rec.rdlength;
    if (rclass != kClassIn) continue;
    if (rec.type == static_cast<uint16_t>(QueryType::kA) && rec.rdlength != 4) {
      return invalid(what + ": A record of " + std::to_string(rec.rdlength) + " bytes");
    }
    if (rec.type == static_cast<uint16_t>(QueryType::kAaaa) && rec.rdlength != 16) {
      return invalid(what + ": AAAA record of " + std::to_string(rec.rdlength) + " bytes");
    }
    records.push_back(std::move(rec));
  }
  r.answer_count = ancount;

  // Follow CNAMEs from the question's name until a name owns records of the
  // type asked for. Every hop uses a record, so a CNAME loop ends.
  std::string target = query.name;
  for (size_t hop = 0; hop <= records.size(); ++hop) {
    for (const Record& rec : records) {
      if (rec.type != static_cast<uint16_t>(query.type) || !names_equal(rec.owner, target)) continue;
      const std::string_view data = m.substr(rec.rdata, rec.rdlength);
      if (query.type == QueryType::kA) {
        std::array<uint8_t, 4> b{};
        // rdlength was checked when the record was read; the test is for the compiler.
        if (data.size() != b.size()) continue;
        std::memcpy(b.data(), data.data(), b.size());
        r.addresses.push_back(IpAddress::v4(b));
      } else if (query.type == QueryType::kAaaa) {
        std::array<uint8_t, 16> b{};
        if (data.size() != b.size()) continue;
        std::memcpy(b.data(), data.data(), b.size());
        r.addresses.push_back(IpAddress::v6(b));
      } else {
        auto ptr = read_rdata_name(m, rec, "DNS PTR record");
        if (!ptr) return ptr.error();
        r.names.push_back(std::move(*ptr));
      }
    }
    if (!r.addresses.empty() || !r.names.empty()) break;
    const Record* cname = nullptr;
    for (const Record& rec : records) {
      if (rec.type == kTypeCname && names_equal(rec.owner, target)) {
        cname = &rec;
        break;
      }
    }
    if (cname == nullptr) break;
    auto next = read_rdata_name(m, *cname, "DNS CNAME record");
    if (!next) return next.error();
    target = std::move(*next);
  }
  r.canonical_name = target;
  return r;
}

std::string reverse_name(const IpAddress& address) {
  const auto b = address.bytes();
  std::string out;
  if (address.is_v4()) {
    for (size_t i = b.size(); i-- > 0;) out += std::to_string(b[i]) + ".";
    return out + "in-addr.arpa.";
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = b.size(); i-- > 0;) {
    out += kHex[b[i] & 0xf];
    out += '.';
    out += kHex[b[i] >> 4];
    out += '.';
  }
  return out + "ip6.arpa.";
}

}  // namespace ceems::dns
