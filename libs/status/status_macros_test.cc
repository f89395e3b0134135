#include "libs/status/status_macros.h"

#include <string>

#include "gtest/gtest.h"

namespace retention {
namespace {

absl::StatusOr<int> ParsePositive(int value) {
  if (value <= 0) return absl::InvalidArgumentError("not positive");
  return value;
}

absl::Status Check(int value) {
  RETURN_IF_ERROR(ParsePositive(value).status());
  return absl::OkStatus();
}

absl::StatusOr<std::string> Doubled(int value) {
  ASSIGN_OR_RETURN(const int parsed, ParsePositive(value));
  return std::to_string(parsed * 2);
}

TEST(StatusMacros, ReturnIfErrorPassesTheErrorOn) {
  EXPECT_TRUE(Check(3).ok());
  EXPECT_EQ(Check(-1).code(), absl::StatusCode::kInvalidArgument);
}

TEST(StatusMacros, AssignOrReturnAssignsTheValueOrReturnsTheStatus) {
  ASSERT_TRUE(Doubled(21).ok());
  EXPECT_EQ(*Doubled(21), "42");
  EXPECT_EQ(Doubled(0).status().message(), "not positive");
}

}  // namespace
}  // namespace retention
