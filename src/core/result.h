// Typed results for expected failures (missing file, permission denied, bad input).
// Exceptions are reserved for fatal start-up errors; everything on the scrape path
// returns Result<T> or Status so that one failing source never aborts a scrape.
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace ceems {

enum class ErrorKind {
  kNotFound,          // ENOENT and friends: the platform does not have this source
  kPermissionDenied,  // EACCES/EPERM
  kNoData,            // source exists but offers nothing this time (not a failure to log loudly)
  kInvalid,           // malformed content: names the source and the offending value
  kTimeout,
  kIo,  // any other system error
};

class Error {
 public:
  Error(ErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}

  static Error from_errno(int err, const std::string& context);

  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }

  // Prefixes context while keeping the kind, e.g. "couldn't get meminfo: " + cause.
  Error wrap(const std::string& context) const { return {kind_, context + ": " + message_}; }

 private:
  ErrorKind kind_;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result without a value.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)
  static Status Ok() { return {}; }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_{ErrorKind::kIo, ""};
  bool ok_ = true;
};

inline Error invalid(std::string message) { return {ErrorKind::kInvalid, std::move(message)}; }
inline Error no_data(std::string message) { return {ErrorKind::kNoData, std::move(message)}; }

}  // namespace ceems
