#include "http/ca_bundle.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "core/testing/fake_filesystem.h"

namespace ceems::http {
namespace {

Environment env_of(const std::map<std::string, std::string>& vars) {
  return [vars](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(HttpCaBundle, DebianLayout) {
  test_support::FakeFilesystem fs;
  fs.add_file("/etc/ssl/certs/ca-certificates.crt", "PEM");
  fs.add_file("/etc/ssl/certs/4042bcee.0", "PEM");
  auto ca = find_ca_locations(fs, env_of({}));
  EXPECT_EQ(ca.file, "/etc/ssl/certs/ca-certificates.crt");
  EXPECT_EQ(ca.dir, "/etc/ssl/certs");
}

TEST(HttpCaBundle, RhelAndSuseLayouts) {
  test_support::FakeFilesystem rhel;
  rhel.add_file("/etc/pki/tls/certs/ca-bundle.crt", "PEM");
  rhel.add_file("/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "PEM");
  auto ca = find_ca_locations(rhel, env_of({}));
  EXPECT_EQ(ca.file, "/etc/pki/tls/certs/ca-bundle.crt");
  EXPECT_EQ(ca.dir, "/etc/pki/tls/certs");

  test_support::FakeFilesystem suse;
  suse.add_file("/etc/ssl/ca-bundle.pem", "PEM");
  suse.add_dir("/etc/ssl/certs");
  ca = find_ca_locations(suse, env_of({}));
  EXPECT_EQ(ca.file, "/etc/ssl/ca-bundle.pem");
  EXPECT_EQ(ca.dir, "/etc/ssl/certs");

  test_support::FakeFilesystem rhel7;
  rhel7.add_file("/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "PEM");
  EXPECT_EQ(find_ca_locations(rhel7, env_of({})).file, "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem");
}

TEST(HttpCaBundle, EnvironmentWinsAndADirectoryIsNotABundle) {
  test_support::FakeFilesystem fs;
  fs.add_file("/etc/ssl/certs/ca-certificates.crt", "PEM");
  fs.add_dir("/etc/ssl/cert.pem");  // odd, but not a file
  auto ca =
      find_ca_locations(fs, env_of({{"SSL_CERT_FILE", "/site/ca.pem"}, {"SSL_CERT_DIR", "/site/certs:/x"}}));
  EXPECT_EQ(ca.file, "/site/ca.pem");
  EXPECT_EQ(ca.dir, "/site/certs");
  // Empty values count as unset, as in Go.
  ca = find_ca_locations(fs, env_of({{"SSL_CERT_FILE", ""}, {"SSL_CERT_DIR", ""}}));
  EXPECT_EQ(ca.file, "/etc/ssl/certs/ca-certificates.crt");

  test_support::FakeFilesystem empty;
  ca = find_ca_locations(empty, env_of({}));
  EXPECT_TRUE(ca.file.empty());
  EXPECT_TRUE(ca.dir.empty());
}

}  // namespace
}  // namespace ceems::http
