// Internal to src/http: a Response turned into the status, header fields and body that
// go on the wire (configured headers, header safety, the server's error text, gzip,
// Date, HEAD). Plain data out, so that the connection library only frames it and
// these rules are tested without a socket.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/server.h"

namespace ceems::http {

struct ConfigSnapshot;

// The reason phrase of a status line ("Not Found").
std::string_view status_reason(int status);

// An error answer with Go's http.Error bytes: the text and a newline, plain text.
Response plain_error(int status, const std::string& text);

// The raw bytes Go writes for a request it cannot read (bad syntax, headers or body
// too large): the connection closes after them, so no keep-alive and no Date.
std::string closing_error_response(int status, const std::string& detail);

struct EncodedResponse {
  int status = 200;
  // In sending order; Connection and Content-Length are left to the framing.
  std::vector<std::pair<std::string, std::string>> fields;
  std::string body;           // empty for HEAD
  size_t content_length = 0;  // of the body a GET would get, also for HEAD
};

// cfg: the web config the request was judged by (its extra headers), or null.
// gzip_ok: the request's Accept-Encoding allows gzip. Runs on handler threads, since
// gzip costs CPU.
EncodedResponse encode_response(Response out, const ConfigSnapshot* cfg, bool gzip_ok, bool head);

}  // namespace ceems::http
