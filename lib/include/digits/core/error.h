// Errors as values: every library call that can fail on user input returns a Result.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace digits {

// What kind of failure an Error is: what the user can do about it, and so the exit code of a
// program that ends on it (exit_code, the one place that maps them).
enum class ErrorKind {
  kBadInput,     // a bad option, file or checkpoint: the user can fix the input (exit 2)
  kIo,           // the system failed a read, write or exchange: disk full, a dead peer (exit 1)
  kOutOfMemory,  // an allocation failed (exit 1)
  kDiverged,     // training produced numbers that are not finite (exit 1)
  kInterrupted,  // a signal asked the work to stop, and what was done is saved (exit 130)
};

// A message ready to show a user: "path:line: what was wrong (what was expected)".
struct Error {
  std::string message;
  ErrorKind kind = ErrorKind::kBadInput;
};

// The same message as another kind: Error{m, kind} where only the message is at hand.
inline Error io_error(std::string message) { return Error{std::move(message), ErrorKind::kIo}; }

// The exit code of a program that ends on an Error of `kind` (docs/reliability.md lists them).
inline int exit_code(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kBadInput:
      return 2;
    case ErrorKind::kIo:
    case ErrorKind::kOutOfMemory:
    case ErrorKind::kDiverged:
      return 1;
    case ErrorKind::kInterrupted:
      return 130;  // 128 + SIGINT
  }
  return 1;
}

// Either a value or an Error. Cheap to move; never throws on the error path.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

// Success or an Error, for calls that return nothing else.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool failed_ = false;
};

}  // namespace digits

// Returns the Error of `expr` (a Status or a Result) from the enclosing function, which returns
// a Status or a Result; goes on when `expr` succeeded.
#define DIGITS_RETURN_IF_ERROR(expr)                    \
  do {                                                  \
    if (const auto& digits_st_ = (expr); !digits_st_) { \
      return digits_st_.error();                        \
    }                                                   \
  } while (false)
