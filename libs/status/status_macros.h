// Early-return helpers for absl::Status and absl::StatusOr (this Abseil has none).
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define RETENTION_CONCAT_INNER(a, b) a##b
#define RETENTION_CONCAT(a, b) RETENTION_CONCAT_INNER(a, b)

// Returns the status from the enclosing function if `expr` is not OK.
#define RETURN_IF_ERROR(expr)                   \
  do {                                          \
    const ::absl::Status _status = (expr);      \
    if (!_status.ok()) return _status;          \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, StatusOrExpr());` assigns the value or returns the status.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(RETENTION_CONCAT(_status_or_, __LINE__), lhs, expr)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()
