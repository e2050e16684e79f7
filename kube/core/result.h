// Result<T>: a value or a kube::Error, for operations where failure is expected (API calls,
// parsing). Exceptions are reserved for programmer errors.
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

#include "kube/core/error.h"

namespace kube {

template <typename T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return checked(); }
  const T& value() const& { return const_cast<Result*>(this)->checked(); }
  T&& value() && { return std::move(checked()); }
  T& operator*() & { return checked(); }
  const T& operator*() const& { return const_cast<Result*>(this)->checked(); }
  T&& operator*() && { return std::move(checked()); }
  T* operator->() { return &checked(); }
  const T* operator->() const { return &const_cast<Result*>(this)->checked(); }

  const Error& error() const& {
    assert(!ok());
    return std::get<1>(v_);
  }
  Error&& error() && {
    assert(!ok());
    return std::get<1>(std::move(v_));
  }

  template <typename U>
  T value_or(U&& fallback) const& {
    return ok() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  T& checked() {
    assert(ok() && "Result::value() called on an error");
    return std::get<0>(v_);
  }
  std::variant<T, Error> v_;
};

// Success or an Error, for operations without a value.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& {
    assert(!ok_);
    return error_;
  }
  Error&& error() && {
    assert(!ok_);
    return std::move(error_);
  }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Status ok_status() {
  return {};
}

}  // namespace kube

// Propagates the error of a Result-returning expression; evaluates to nothing.
#define KUBE_RETURN_IF_ERROR(expr)            \
  do {                                        \
    auto kube_status_ = (expr);               \
    if (!kube_status_.ok()) {                 \
      return std::move(kube_status_).error(); \
    }                                         \
  } while (false)

#define KUBE_CONCAT_INNER_(a, b) a##b
#define KUBE_CONCAT_(a, b) KUBE_CONCAT_INNER_(a, b)
// KUBE_ASSIGN_OR_RETURN(auto x, f()); declares x from the value or returns the error.
#define KUBE_ASSIGN_OR_RETURN(decl, expr) \
  KUBE_ASSIGN_OR_RETURN_IMPL_(KUBE_CONCAT_(kube_result_, __LINE__), decl, expr)
#define KUBE_ASSIGN_OR_RETURN_IMPL_(tmp, decl, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return std::move(tmp).error();      \
  decl = std::move(tmp).value()
