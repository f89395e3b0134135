// Early-return helpers for absl::Status and absl::StatusOr (this Abseil has none),
// with the project's prefix so that they never collide with another library's.
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define RETENTION_CONCAT_INNER(a, b) a##b
#define RETENTION_CONCAT(a, b) RETENTION_CONCAT_INNER(a, b)

// Returns the status from the enclosing function if `expr` is not OK.
#define RETENTION_RETURN_IF_ERROR(expr)               \
  do {                                                \
    const ::absl::Status _retention_status = (expr);  \
    if (!_retention_status.ok()) return _retention_status; \
  } while (0)

// `RETENTION_ASSIGN_OR_RETURN(auto x, StatusOrExpr());` assigns the value or returns
// the status.
#define RETENTION_ASSIGN_OR_RETURN(lhs, expr) \
  RETENTION_ASSIGN_OR_RETURN_IMPL(RETENTION_CONCAT(_retention_status_or_, __LINE__), lhs, expr)

#define RETENTION_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return tmp.status();                   \
  lhs = std::move(tmp).value()
