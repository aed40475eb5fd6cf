#include "core/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace ceems {
namespace {

TEST(CoreBase64, DecodesStandardPaddedInput) {
  EXPECT_EQ(base64_decode("").value_or("?"), "");
  EXPECT_EQ(base64_decode("Zg==").value_or("?"), "f");
  EXPECT_EQ(base64_decode("Zm8=").value_or("?"), "fo");
  EXPECT_EQ(base64_decode("Zm9v").value_or("?"), "foo");
  EXPECT_EQ(base64_decode("YWxpY2U6czNjcmV0").value_or("?"), "alice:s3cret");
  EXPECT_EQ(base64_decode("+/+/").value_or("?"), "\xfb\xff\xbf");
}

TEST(CoreBase64, RejectsMalformedInput) {
  for (const char* bad :
       {"Zg", "Zg=", "Z===", "Zg==Zg==", "Zm9v!", "Zm 9v", "Zm9v\n", "-_-_", "====", "Zg=a"}) {
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
  }
}

TEST(CoreBase64, EncodesWithPaddingAndRoundTrips) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("alice:s3cret"), "YWxpY2U6czNjcmV0");
  EXPECT_EQ(base64_encode("\xfb\xff\xbf"), "+/+/");
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  for (size_t n = 0; n <= all.size(); n += 37) {
    const std::string part = all.substr(0, n);
    EXPECT_EQ(base64_decode(base64_encode(part)).value_or("?"), part) << n;
  }
}

}  // namespace
}  // namespace ceems
