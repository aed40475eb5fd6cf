#include "http/encoding.h"

// Beast writes the reason phrase of every status line from this table; the server's
// own error text reuses it so that the body says what the status line says.
#include <algorithm>
#include <boost/beast/http/status.hpp>
#include <ctime>

#include "http/config_watch.h"
#include "http/wire.h"

namespace ceems::http {
namespace {

bool same_name(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [&](char x, char y) { return lower(x) == lower(y); });
}

using Fields = std::vector<std::pair<std::string, std::string>>;

bool has_field(const Fields& fields, std::string_view name) {
  return std::any_of(fields.begin(), fields.end(), [&](const auto& f) { return same_name(f.first, name); });
}

// A field the server owns replaces every earlier one of its name and goes last, the
// order a client has always seen.
void set_field(Fields& fields, std::string_view name, std::string value) {
  std::erase_if(fields, [&](const auto& f) { return same_name(f.first, name); });
  fields.emplace_back(std::string(name), std::move(value));
}

// "Mon, 02 Jan 2006 15:04:05 GMT", as every Go response carries.
std::string http_date() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  const size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

}  // namespace

std::string_view status_reason(int status) {
  namespace bh = boost::beast::http;
  const std::string_view r = bh::obsolete_reason(bh::int_to_status(static_cast<unsigned>(status)));
  return r.empty() ? "Unknown" : r;
}

Response plain_error(int status, const std::string& text) {
  Response r;
  r.status = status;
  r.body = text + "\n";
  r.headers.emplace("X-Content-Type-Options", "nosniff");
  return r;
}

std::string closing_error_response(int status, const std::string& detail) {
  const std::string reason(status_reason(status));
  std::string text = std::to_string(status) + " " + reason;
  if (!detail.empty()) text += ": " + detail;
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: " +
         std::to_string(text.size()) + "\r\n\r\n" + text;
}

EncodedResponse encode_response(Response out, const ConfigSnapshot* cfg, bool gzip_ok, bool head) {
  if (!out.raw && out.body.empty() && out.status >= 400) {
    // An ordinary route's bare error status still tells the client what it was.
    Response text = plain_error(out.status, std::string(status_reason(out.status)));
    for (auto& h : out.headers) text.headers.insert(h);
    out = std::move(text);
    out.content_type = "text/plain; charset=utf-8";
  }
  EncodedResponse res;
  res.status = out.status;
  if (cfg != nullptr) {
    for (const auto& [name, value] : cfg->config.http.headers) {
      if (safe_header_name(name) && safe_header_value(value) && out.headers.count(name) == 0) {
        res.fields.emplace_back(name, value);
      }
    }
  }
  if (!out.content_type.empty() && safe_header_value(out.content_type)) {
    set_field(res.fields, "Content-Type", out.content_type);
  }
  for (const auto& [name, value] : out.headers) {
    // A relayed header must not split the response or smuggle a second one; the
    // length and framing are the server's own.
    if (!safe_header_name(name) || !safe_header_value(value)) continue;
    if (same_name(name, "Content-Length") || same_name(name, "Transfer-Encoding") ||
        same_name(name, "Connection")) {
      continue;
    }
    if (same_name(name, "Content-Type") && !out.content_type.empty()) continue;
    res.fields.emplace_back(name, value);
  }
  if (!out.raw && gzip_ok && !out.body.empty() && !has_field(res.fields, "Content-Encoding")) {
    std::string z = gzip(out.body);
    if (!z.empty()) {
      out.body = std::move(z);
      set_field(res.fields, "Content-Encoding", "gzip");
    }
  }
  set_field(res.fields, "Date", http_date());
  res.content_length = out.body.size();
  if (!head) res.body = std::move(out.body);
  return res;
}

}  // namespace ceems::http
