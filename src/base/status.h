// Status and Result<T>: the error currency at every module boundary.
//
// A Status is either OK or carries a code from a deliberately small set plus a
// message that says what failed, where, and what to do. Result<T> holds either
// a value or a non-OK Status. Both are [[nodiscard]]: an ignored error is a bug.
#pragma once

#include <cassert>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace citadel {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kPermissionDenied,
  kFailedPrecondition,
  kUnavailable,
  kDataLoss,
  kInternal,
  kCancelled,          // stopped on request (a signal), not by an error
  kResourceExhausted,  // a bounded queue, rate limit or budget is full (HTTP 429)
  kUnauthenticated,    // no or unknown credentials (HTTP 401)
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "DataLoss: blob sha256:… is corrupt"; "OK" for success.
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context: `; OK stays OK.
  // Used to add one layer of "where" at each boundary the error crosses.
  Status WithContext(std::string_view context) const;

  // Explicitly discards a status where failure is acceptable (best-effort
  // cleanup). Greppable, unlike a cast to void.
  void IgnoreError() const {}

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

Status InvalidArgumentError(std::string message);
Status NotFoundError(std::string message);
Status AlreadyExistsError(std::string message);
Status PermissionDeniedError(std::string message);
Status FailedPreconditionError(std::string message);
Status UnavailableError(std::string message);
Status DataLossError(std::string message);
Status InternalError(std::string message);
Status CancelledError(std::string message);
Status ResourceExhaustedError(std::string message);
Status UnauthenticatedError(std::string message);

// Writes ToString(); lets tests print a Status in assertion messages.
std::ostream& operator<<(std::ostream& out, const Status& status);

// Errno-based error for a failed system call on `path`.
Status ErrnoError(std::string_view operation, std::string_view path, int err);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : state_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(state_).ok() && "Result built from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(state_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(state_); }

  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> state_;
};

namespace internal {
inline Status AsStatus(const Status& s) { return s; }
template <typename T>
Status AsStatus(const Result<T>& r) {
  return r.status();
}
}  // namespace internal

}  // namespace citadel

#define CITADEL_CONCAT_INNER(a, b) a##b
#define CITADEL_CONCAT(a, b) CITADEL_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                                                \
  do {                                                                       \
    ::citadel::Status _citadel_status = ::citadel::internal::AsStatus(expr); \
    if (!_citadel_status.ok()) return _citadel_status;                       \
  } while (false)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

// ASSIGN_OR_RETURN(auto x, MakeX()); declares or assigns on success.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(CITADEL_CONCAT(_citadel_result_, __LINE__), lhs, expr)
