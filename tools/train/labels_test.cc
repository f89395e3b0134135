#include "tools/train/labels.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/status/matchers.h"

namespace retention::train {
namespace {

using ::retention::testing::IsOk;
using ::retention::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

absl::StatusOr<LabelSet> Read(const std::string& text) {
  std::istringstream in(text);
  return ReadLabels(in, "labels.csv");
}

TEST(LabelsTest, ReadsTheGeneratorsFile) {
  const auto labels = Read(
      "account_id,trajectory,severity,churned,cause,advocate,arr,renewal_date,plan,size,industry,region\n"
      "acct-0000000,healthy,0.2532,0,,0,2000,2027-04-16,starter,smb,media,latam\n"
      "acct-0000001,goes-dark,0.3277,1,went-quiet,0,205833,2027-01-21,enterprise,enterprise,media,na\n");
  ASSERT_THAT(labels, IsOk());
  ASSERT_EQ(labels->by_account.size(), 2u);
  EXPECT_TRUE(labels->has_outcome_dates);
  EXPECT_FALSE(labels->by_account.at("acct-0000000").churned);
  const Label& churned = labels->by_account.at("acct-0000001");
  EXPECT_TRUE(churned.churned);
  EXPECT_EQ(churned.outcome_at, absl::FromCivil(absl::CivilDay(2027, 1, 21), absl::UTCTimeZone()));
}

// Spreadsheets write CRLF, a byte order mark and quotes around every header.
TEST(LabelsTest, TakesCrlfLineEndsQuotedHeadersAndAByteOrderMark) {
  const auto labels = Read(
      "\xEF\xBB\xBF\"account_id\",\"churned\",\"note\"\r\n"
      "\"acct-1\",1,\"said \"\"no\"\", twice\"\r\n"
      "\r\n"
      "acct-2, 0 ,plain\r\n");
  ASSERT_THAT(labels, IsOk());
  EXPECT_FALSE(labels->has_outcome_dates);
  ASSERT_EQ(labels->by_account.size(), 2u);
  EXPECT_TRUE(labels->by_account.at("acct-1").churned);
  EXPECT_FALSE(labels->by_account.at("acct-2").churned);
  EXPECT_FALSE(labels->by_account.at("acct-2").outcome_at.has_value());
}

TEST(LabelsTest, SplitsQuotedCells) {
  EXPECT_THAT(*SplitCsvLine("a,\"b,c\",\"d\"\"e\","), ElementsAre("a", "b,c", "d\"e", ""));
  EXPECT_THAT(SplitCsvLine("a,\"b"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(LabelsTest, RefusesWhatItCannotReadNamingTheLine) {
  EXPECT_THAT(Read(""), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no header")));
  EXPECT_THAT(Read("id,churned\nacct-1,1\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("labels.csv:1: the header needs account_id")));
  EXPECT_THAT(Read("account_id,churned\nacct-1,yes\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("labels.csv:2: churned must be 0 or 1")));
  EXPECT_THAT(Read("account_id,churned\nacct-1\n"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(":2:")));
  EXPECT_THAT(Read("account_id,churned,renewal_date\nacct-1,1,soon\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("labels.csv:2: renewal_date \"soon\"")));
  // Two answers for one account: which is the truth?
  EXPECT_THAT(Read("account_id,churned\nacct-1,1\nacct-2,0\nacct-1,0\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("labels.csv:4: account acct-1 is labelled twice")));
}

TEST(LabelsTest, AnOutcomeBelongsToTheCutsBeforeIt) {
  const absl::Time renewal = absl::FromCivil(absl::CivilDay(2026, 11, 20), absl::UTCTimeZone());
  const Label dated{true, renewal};
  EXPECT_TRUE(OutcomeAfter(dated, renewal - absl::Hours(24 * 30)));
  EXPECT_TRUE(OutcomeAfter(dated, renewal));
  EXPECT_FALSE(OutcomeAfter(dated, renewal + absl::Hours(1)));
  EXPECT_TRUE(OutcomeAfter(Label{true, std::nullopt}, renewal + absl::Hours(24 * 365)));
}

}  // namespace
}  // namespace retention::train
