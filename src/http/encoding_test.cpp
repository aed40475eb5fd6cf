// What goes on the wire: gzip, the handler's status and headers, relayed (raw)
// answers, the server's text for bare errors; through a real server, and
// encode_response() directly for what a client library would hide.
#include "http/encoding.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <zlib.h>

#include <string>
#include <vector>

#include "http/config_watch.h"
#include "http/server.h"
#include "http/testing/server_fixture.h"

namespace ceems::http {
namespace {

using test_util::client;
using test_util::local_options;
using test_util::must_create;
using test_util::start_with;

std::string gunzip(const std::string& in) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return "<inflateInit failed>";
  std::string out;
  char buf[16384];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  }
  inflateEnd(&zs);
  return rc == Z_STREAM_END ? out : "<corrupt gzip>";
}

class HttpEncoding : public test_util::ServerFixture {};

TEST_F(HttpEncoding, Gzip) {
  server_ = must_create(local_options());
  ASSERT_TRUE(server_);
  std::string big;
  for (int i = 0; i < 2000; ++i) big += "node_metric{cpu=\"" + std::to_string(i) + "\"} 1\n";
  server_->route(
      "/metrics",
      [big](const Request&) {
        return Response{200, "text/plain; version=0.0.4; charset=utf-8", big};
      },
      true);
  server_->route(
      "/proto",
      [big](const Request&) {
        return Response{200, "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily", big};
      },
      true);
  ASSERT_TRUE(server_->start().ok());
  port_ = server_->bound_ports()[0];
  auto cli = client(port_);
  cli.set_decompress(false);

  for (const char* path : {"/metrics", "/proto"}) {
    auto gz = cli.Get(path, {{"Accept-Encoding", "gzip"}});
    ASSERT_TRUE(gz) << path;
    EXPECT_EQ(gz->status, 200);
    EXPECT_EQ(gz->get_header_value("Content-Encoding"), "gzip") << path;
    EXPECT_LT(gz->body.size(), big.size());
    EXPECT_EQ(gunzip(gz->body), big) << path;

    auto plain = cli.Get(path);
    ASSERT_TRUE(plain);
    EXPECT_FALSE(plain->has_header("Content-Encoding")) << path;
    EXPECT_EQ(plain->body, big);
  }
  // What Prometheus sends.
  auto prom = cli.Get("/metrics", {{"Accept-Encoding", "gzip, deflate"}});
  ASSERT_TRUE(prom);
  EXPECT_EQ(prom->get_header_value("Content-Encoding"), "gzip");
}

TEST(HttpEncodingResponses, StatusAndExtraHeaders) {
  auto server = start_with(local_options(), [](Server& s) {
    s.route(
        "/h",
        [](const Request&) {
          Response r{207, "application/json", "{}"};
          r.headers.emplace("Set-Cookie", "a=1");
          r.headers.emplace("Set-Cookie", "b=2");
          r.headers.emplace("X-Injected", "x\r\nEvil: 1");
          return r;
        },
        false);
  });
  ASSERT_TRUE(server);
  auto r = client(server->bound_ports()[0]).Get("/h");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 207);
  EXPECT_EQ(r->get_header_value_count("Set-Cookie"), 2u);
  EXPECT_FALSE(r->has_header("Evil"));
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
}

TEST(HttpEncodingResponses, RawResponsesGoOutUntouched) {
  const std::string json = "{\"Members\":[" + std::string(5000, ' ') + "]}";
  auto server = start_with(local_options(), [json](Server& s) {
    s.route_prefix(
        "/",
        [json](const Request& req) {
          Response r;
          r.raw = true;
          r.content_type.clear();
          if (req.path == "/empty502") {
            r.status = 502;
          } else if (req.path == "/plain404") {
            r.status = 404;
            r.body = "not here";
            r.headers.emplace("Content-Type", "text/plain");
          } else {
            r.body = json;
            r.headers.emplace("Content-Type", "application/json");
          }
          return r;
        },
        false);
  });
  ASSERT_TRUE(server);
  auto cli = client(server->bound_ports()[0]);
  cli.set_decompress(false);
  auto gz = cli.Get("/json", {{"Accept-Encoding", "gzip, br"}});
  ASSERT_TRUE(gz);
  EXPECT_EQ(gz->status, 200);
  EXPECT_FALSE(gz->has_header("Content-Encoding"));
  EXPECT_EQ(gz->body, json);
  EXPECT_EQ(gz->get_header_value("Content-Length"), std::to_string(json.size()));
  // The backend already served (or ignored) the range; the server must not cut again.
  auto ranged = cli.Get("/json", {{"Range", "bytes=0-3"}});
  ASSERT_TRUE(ranged);
  EXPECT_EQ(ranged->status, 200);
  EXPECT_EQ(ranged->body, json);
  auto empty = cli.Get("/empty502");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 502);
  EXPECT_EQ(empty->body, "");
  EXPECT_FALSE(empty->has_header("X-Ceems-Relayed-Empty-Body"));
  auto text = cli.Get("/plain404", {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status, 404);
  EXPECT_EQ(text->body, "not here");
  auto head = cli.Head("/json");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  // A connection that carried relayed answers stays usable.
  auto again = cli.Get("/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body, json);
}

TEST(HttpEncodingResponses, EmptyErrorBodiesOfOrdinaryRoutesStillGetText) {
  auto server = start_with(local_options(), [](Server& s) {
    s.route(
        "/e",
        [](const Request&) {
          return Response{502, "", ""};
        },
        false);
  });
  ASSERT_TRUE(server);
  auto r = client(server->bound_ports()[0]).Get("/e");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  EXPECT_FALSE(r->body.empty());
}

// --- encode_response() itself --------------------------------------------------

std::vector<std::string> names(const EncodedResponse& e) {
  std::vector<std::string> out;
  for (const auto& f : e.fields) out.push_back(f.first);
  return out;
}

TEST(HttpEncodeResponse, FieldOrderAndWhatTheServerOwns) {
  ConfigSnapshot cfg;
  cfg.config.http.headers = {{"X-Frame-Options", "deny"}, {"Content-Type", "text/csv"}, {"X-Set", "config"}};
  Response r{200, "text/plain", "body"};
  r.headers.emplace("X-Set", "handler");
  r.headers.emplace("Content-Length", "999");
  r.headers.emplace("Transfer-Encoding", "chunked");
  r.headers.emplace("connection", "close");
  r.headers.emplace("date", "yesterday");
  const auto e = encode_response(r, &cfg, false, false);
  EXPECT_EQ(e.status, 200);
  // A handler's header wins over the configured one of its name; the server's
  // Content-Type replaces a configured one; Date is the server's and goes last.
  EXPECT_EQ(names(e), (std::vector<std::string>{"X-Frame-Options", "Content-Type", "X-Set", "Date"}));
  EXPECT_EQ(e.fields[1].second, "text/plain");
  EXPECT_EQ(e.fields[2].second, "handler");
  EXPECT_NE(e.fields[3].second, "yesterday");
  EXPECT_EQ(e.body, "body");
  EXPECT_EQ(e.content_length, 4u);
}

TEST(HttpEncodeResponse, HeadKeepsTheLengthOfTheBodyItOmits) {
  std::string big(4000, 'a');
  const auto e = encode_response(Response{200, "text/plain", big}, nullptr, true, true);
  EXPECT_TRUE(e.body.empty());
  EXPECT_GT(e.content_length, 0u);
  EXPECT_LT(e.content_length, big.size()) << "the length of the gzip body a GET would get";
}

TEST(HttpEncodeResponse, AnEncodedBodyIsNotGzippedAgain) {
  Response r{200, "application/octet-stream", "already-deflated"};
  r.headers.emplace("content-encoding", "deflate");
  const auto e = encode_response(r, nullptr, true, false);
  EXPECT_EQ(e.body, "already-deflated");
  EXPECT_EQ(names(e), (std::vector<std::string>{"Content-Type", "content-encoding", "Date"}));
}

TEST(HttpEncodeResponse, BareErrorsGetTheStatusLinesReason) {
  EXPECT_EQ(status_reason(404), "Not Found");
  const auto e = encode_response(Response{502, "", ""}, nullptr, false, false);
  EXPECT_EQ(e.body, "Bad Gateway\n");
  EXPECT_EQ(names(e), (std::vector<std::string>{"Content-Type", "X-Content-Type-Options", "Date"}));
}

TEST(HttpEncodeResponse, ClosingErrorResponseIsGosBytes) {
  EXPECT_EQ(closing_error_response(400, "missing required Host header"),
            "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"
            "Content-Length: 45\r\n\r\n400 Bad Request: missing required Host header");
}

}  // namespace
}  // namespace ceems::http
