#include "http/client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <mutex>

#include "core/strings.h"
#include "http/ca_bundle.h"

namespace ceems::http {

bool CaseInsensitiveLess::operator()(const std::string& a, const std::string& b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) < std::tolower(static_cast<unsigned char>(y));
  });
}

std::string ClientResponse::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

namespace {

struct Transfer {
  ClientResponse* response;
  size_t limit;
  bool overflow = false;
};

size_t on_body(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * nmemb;
  if (t->response->body.size() + n > t->limit) {
    t->overflow = true;
    return 0;  // aborts the transfer
  }
  t->response->body.append(data, n);
  return n;
}

size_t on_header(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * nmemb;
  add_response_header_line(t->response->headers, std::string_view(data, n));
  return n;
}

}  // namespace

void add_response_header_line(HeaderMap& headers, std::string_view line) {
  if (starts_with(line, "HTTP/")) {
    headers.clear();
    return;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    headers.emplace(std::string(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
  }
}

namespace {

class CurlClient final : public HttpClient {
 public:
  CurlClient()
      : ca_(find_ca_locations(real_filesystem(), [](const char* name) { return std::getenv(name); })) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

  Result<ClientResponse> send(const ClientRequest& req) override {
    std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), &curl_easy_cleanup);
    if (!curl) return Error(ErrorKind::kIo, "curl_easy_init failed");
    CURL* h = curl.get();
    ClientResponse resp;
    Transfer transfer{&resp, req.max_response_bytes};
    char errbuf[CURL_ERROR_SIZE] = {0};

    curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM-based DNS timeouts
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, req.follow_redirects ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
    if (req.insecure_skip_verify) {
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    } else {
      // Not curl's compiled-in path, which names the build machine's distribution.
      if (!ca_.file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, ca_.file.c_str());
      if (!ca_.dir.empty()) curl_easy_setopt(h, CURLOPT_CAPATH, ca_.dir.c_str());
    }
    if (req.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (req.method != "GET" || !req.body.empty()) {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
      if (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.data());
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
      }
    }
    struct curl_slist* list = nullptr;
    bool has_expect = false;
    for (const auto& [k, v] : req.headers) {
      if (!CaseInsensitiveLess{}(k, "Expect") && !CaseInsensitiveLess{}("Expect", k)) has_expect = true;
      list = curl_slist_append(list, (k + ": " + v).c_str());
    }
    // curl would otherwise wait for "100 Continue" on larger POST bodies.
    if (!has_expect) list = curl_slist_append(list, "Expect:");
    std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(list, &curl_slist_free_all);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());

    CURLcode rc = curl_easy_perform(h);
    if (transfer.overflow) {
      return Error(ErrorKind::kInvalid, req.method + " " + req.url + ": response larger than " +
                                            std::to_string(req.max_response_bytes) + " bytes");
    }
    if (rc != CURLE_OK) {
      ErrorKind kind = rc == CURLE_OPERATION_TIMEDOUT ? ErrorKind::kTimeout : ErrorKind::kIo;
      std::string detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
      return Error(kind, req.method + " " + req.url + ": " + detail);
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    resp.status = static_cast<int>(status);
    return resp;
  }

 private:
  CaLocations ca_;  // found once: the files do not move while the exporter runs
};

}  // namespace

std::unique_ptr<HttpClient> make_curl_client() { return std::make_unique<CurlClient>(); }

}  // namespace ceems::http
