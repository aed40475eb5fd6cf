#include "http/basic_auth.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "http/testing/http_test_util.h"

namespace ceems::http {
namespace {

// htpasswd -nbBC 10 alice s3cret (cost 10: one check takes tens of milliseconds).
const std::string kAliceHash = "$2y$10$VKRpyUgFqAhpiEX9DsKW7OHQUH4nxRIgnOTUD5RUZvWkUTpYeRXZa";

std::string basic(const std::string& user_colon_password) {
  return "Basic " + base64_encode(user_colon_password);
}

double millis_of(const std::function<void()>& fn) {
  const auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

TEST(HttpBasicHeader, Parses) {
  auto c = parse_basic_authorization(basic("alice:s3cret"));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->user, "alice");
  EXPECT_EQ(c->password, "s3cret");
  // Scheme case-insensitive; only the first colon separates.
  c = parse_basic_authorization("bAsIc " + basic("bob:a:b:c").substr(6));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->user, "bob");
  EXPECT_EQ(c->password, "a:b:c");
  c = parse_basic_authorization(basic(":"));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->user, "");
  EXPECT_EQ(c->password, "");
}

TEST(HttpBasicHeader, RejectsMalformed) {
  for (const std::string& bad :
       {std::string(), std::string("Basic"), std::string("Basic "), std::string("Bearer YWxpY2U6czNjcmV0"),
        std::string("BasicYWxpY2U6czNjcmV0"), std::string("Basic YWxpY2U6czNjcmV0="),
        std::string("Basic !!!!"), basic("no-colon"), std::string("Basic\tZm9v")}) {
    EXPECT_FALSE(parse_basic_authorization(bad).has_value()) << bad;
  }
}

TEST(HttpBcrypt, HashShape) {
  EXPECT_TRUE(looks_like_bcrypt_hash(kAliceHash));
  EXPECT_FALSE(looks_like_bcrypt_hash(""));
  EXPECT_FALSE(looks_like_bcrypt_hash("s3cret"));
  EXPECT_FALSE(looks_like_bcrypt_hash(kAliceHash.substr(0, 59)));
  EXPECT_FALSE(looks_like_bcrypt_hash(kAliceHash + "x"));
  EXPECT_FALSE(looks_like_bcrypt_hash("$1$" + kAliceHash.substr(3)));
  std::string bad = kAliceHash;
  bad[20] = '!';
  EXPECT_FALSE(looks_like_bcrypt_hash(bad));
}

TEST(HttpBcrypt, MatchesAllPrefixes) {
  EXPECT_TRUE(bcrypt_matches("s3cret", kAliceHash));
  EXPECT_FALSE(bcrypt_matches("s3cret!", kAliceHash));
  EXPECT_FALSE(bcrypt_matches("", kAliceHash));
  for (const char* prefix : {"$2b$", "$2a$"}) {
    std::string h = kAliceHash;
    h.replace(0, 4, prefix);
    EXPECT_TRUE(bcrypt_matches("s3cret", h)) << prefix;
  }
  // crypt() would stop at the NUL and accept "s3cret\0anything".
  EXPECT_FALSE(bcrypt_matches(std::string("s3cret\0x", 8), kAliceHash));
  EXPECT_FALSE(bcrypt_matches("s3cret", "not a hash"));
}

TEST(HttpBasicAuthenticator, RightAndWrongPasswords) {
  BasicAuthenticator auth({{"alice", kAliceHash}, {"bob", test_util::bcrypt_hash("hunter2")}});
  EXPECT_TRUE(auth.enabled());
  EXPECT_TRUE(auth.verify("alice", "s3cret"));
  EXPECT_FALSE(auth.verify("alice", "S3cret"));
  EXPECT_FALSE(auth.verify("alice", "hunter2"));  // bob's password
  EXPECT_TRUE(auth.verify("bob", "hunter2"));
  EXPECT_FALSE(auth.verify("Alice", "s3cret"));
  EXPECT_TRUE(auth.authorize(basic("alice:s3cret")));
  EXPECT_FALSE(auth.authorize(basic("alice:wrong")));
  EXPECT_FALSE(auth.authorize(""));
  EXPECT_FALSE(auth.authorize("Basic %%%"));
}

TEST(HttpBasicAuthenticator, DisabledWithoutUsers) {
  BasicAuthenticator auth({});
  EXPECT_FALSE(auth.enabled());
  EXPECT_TRUE(auth.authorize(""));
}

TEST(HttpBasicAuthenticator, CacheHitIsFastAndOnlySuccessesAreCached) {
  BasicAuthenticator auth({{"alice", kAliceHash}});
  const double first = millis_of([&] { EXPECT_TRUE(auth.verify("alice", "s3cret")); });
  EXPECT_EQ(auth.cache_size(), 1u);
  double cached = 1e9;
  for (int i = 0; i < 5; ++i) {
    cached = std::min(cached, millis_of([&] { EXPECT_TRUE(auth.verify("alice", "s3cret")); }));
  }
  EXPECT_LT(cached, 5.0);
  EXPECT_GT(first, cached * 5);
  EXPECT_FALSE(auth.verify("alice", "wrong"));
  EXPECT_FALSE(auth.verify("alice", "wrong"));
  EXPECT_EQ(auth.cache_size(), 1u);
}

TEST(HttpBasicAuthenticator, UnknownUserStillPaysForBcrypt) {
  BasicAuthenticator auth({{"alice", kAliceHash}});
  const double known = millis_of([&] { EXPECT_FALSE(auth.verify("alice", "wrong")); });
  const double unknown = millis_of([&] { EXPECT_FALSE(auth.verify("mallory", "wrong")); });
  // Same cost factor: within a generous band, so that a loaded machine does not flake.
  EXPECT_GT(unknown, known * 0.3) << "known " << known << " ms, unknown " << unknown << " ms";
  EXPECT_EQ(auth.cache_size(), 0u);
}

TEST(HttpBasicAuthenticator, CacheIsBounded) {
  BasicAuthenticator::UserMap users;
  for (int i = 0; i < 4; ++i) {
    users["u" + std::to_string(i)] = test_util::bcrypt_hash("p" + std::to_string(i));
  }
  BasicAuthenticator auth(users, 2);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(auth.verify("u" + std::to_string(i), "p" + std::to_string(i)));
  EXPECT_EQ(auth.cache_size(), 2u);
}

TEST(HttpBasicAuthenticator, ConcurrentUse) {
  BasicAuthenticator auth({{"a", test_util::bcrypt_hash("pa")}, {"b", test_util::bcrypt_hash("pb")}}, 1);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        const bool a = (i + t) % 2 == 0;
        if (!auth.verify(a ? "a" : "b", a ? "pa" : "pb")) ++failures;
        if (auth.verify(a ? "a" : "b", "nope")) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(auth.cache_size(), 1u);
}

}  // namespace
}  // namespace ceems::http
