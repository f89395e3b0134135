#include "libs/status/status_macros.h"

#include <string>

#include "gtest/gtest.h"
#include "libs/status/matchers.h"

namespace retention {
namespace {

using ::retention::testing::IsOk;
using ::retention::testing::StatusIs;
using ::testing::HasSubstr;

absl::StatusOr<int> ParsePositive(int value) {
  if (value <= 0) return absl::InvalidArgumentError("not positive");
  return value;
}

absl::Status Check(int value) {
  RETENTION_RETURN_IF_ERROR(ParsePositive(value).status());
  return absl::OkStatus();
}

absl::StatusOr<std::string> Doubled(int value) {
  RETENTION_ASSIGN_OR_RETURN(const int parsed, ParsePositive(value));
  return std::to_string(parsed * 2);
}

TEST(StatusMacros, ReturnIfErrorPassesTheErrorOn) {
  EXPECT_THAT(Check(3), IsOk());
  EXPECT_THAT(Check(-1), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(StatusMacros, AssignOrReturnAssignsTheValueOrReturnsTheStatus) {
  ASSERT_THAT(Doubled(21), IsOk());
  EXPECT_EQ(*Doubled(21), "42");
  EXPECT_THAT(Doubled(0), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not positive")));
}

}  // namespace
}  // namespace retention
