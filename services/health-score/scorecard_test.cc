#include "services/health-score/scorecard.h"

#include <cstdlib>

#include "gtest/gtest.h"
#include "libs/status/matchers.h"

namespace retention::health {
namespace {

using ::retention::testing::StatusIs;

std::string Runfile(const std::string& path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  return srcdir == nullptr ? path : std::string(srcdir) + "/retention/" + path;
}

constexpr char kMinimal[] = R"(version: "t1"
yellow_from: 40
green_from: 70
scorecards {
  segment: "default"
  components {
    component: SENTIMENT
    weight: 1
    measures { measure: NPS_LATEST weight: 1 steps { from: 0 score: 0 } steps { from: 9 score: 100 } }
  }
}
)";

TEST(Scorecard, TheShippedFileLoadsAndPicksBySegment) {
  auto set = LoadScorecardSet(Runfile("services/health-score/scorecards/default.textproto"));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_FALSE(set->version().empty());
  EXPECT_EQ(SelectScorecard(*set, "enterprise", "mid-market").segment(), "enterprise");
  EXPECT_EQ(SelectScorecard(*set, "starter", "smb").segment(), "default");
  EXPECT_EQ(SelectScorecard(*set, "", "").segment(), "default");
}

TEST(Scorecard, SyntaxErrorsNameFileLineAndColumn) {
  std::string text = kMinimal;
  text.replace(text.find("weight: 1\n"), 9, "weight: one");
  auto set = ParseScorecardSet(text, "cards.textproto");
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().message().substr(0, 19), "cards.textproto:8:1") << set.status();
}

TEST(Scorecard, UnknownMeasureIsNamedWithItsLine) {
  std::string text = kMinimal;
  text.replace(text.find("NPS_LATEST"), 10, "NPS_LAST");
  auto set = ParseScorecardSet(text, "cards.textproto");
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.status().message().find("cards.textproto:9:"), absl::string_view::npos) << set.status();
  EXPECT_NE(set.status().message().find("NPS_LAST"), absl::string_view::npos) << set.status();
}

TEST(Scorecard, BadWeightIsReportedAtTheComponentsLine) {
  std::string text = kMinimal;
  text.replace(text.find("weight: 1\n"), 9, "weight: -2");
  auto set = ParseScorecardSet(text, "cards.textproto");
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().message(), "cards.textproto:6: component SENTIMENT weight must be > 0, got -2");
}

TEST(Scorecard, StepsMustIncrease) {
  std::string text = kMinimal;
  text.replace(text.find("from: 9"), 7, "from: 0");
  auto set = ParseScorecardSet(text, "cards.textproto");
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.status().message().find("cards.textproto:9: measure NPS_LATEST steps must have increasing"),
            absl::string_view::npos)
      << set.status();
}

TEST(Scorecard, BandsMustBeOrdered) {
  std::string text = kMinimal;
  text.replace(text.find("green_from: 70"), 14, "green_from: 30");
  auto set = ParseScorecardSet(text, "cards.textproto");
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.status().message().find("cards.textproto:3: bands must satisfy"), absl::string_view::npos)
      << set.status();
}

TEST(Scorecard, SilenceRulesAreCheckedWithTheirLine) {
  const std::string head = "version: \"t1\"\nyellow_from: 40\ngreen_from: 70\n";
  const std::string cards = std::string(kMinimal).substr(head.size());
  const auto parse = [&](const std::string& rules) { return ParseScorecardSet(head + rules + cards, "cards.textproto"); };
  EXPECT_TRUE(parse("silence_rules { after_days: 30 at_most: YELLOW }\nsilence_rules { after_days: 60 at_most: RED }\n").ok());
  EXPECT_THAT(parse("silence_rules { after_days: 0 at_most: RED }\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "cards.textproto:4: silence rule after_days must be > 0, got 0"));
  EXPECT_THAT(parse("silence_rules { after_days: 30 at_most: GREEN }\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "cards.textproto:4: silence rule at_most must be YELLOW or RED, got GREEN"));
  EXPECT_THAT(parse("silence_rules { after_days: 60 at_most: RED }\nsilence_rules { after_days: 30 at_most: YELLOW }\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "cards.textproto:5: silence rules must be in increasing order of after_days"));
}

TEST(Scorecard, TheLastScorecardMustMatchEveryone) {
  std::string text = kMinimal;
  text.replace(text.find("segment: \"default\""), 18, "segment: \"only-pro\" plans: \"pro\"");
  auto set = ParseScorecardSet(text, "cards.textproto");
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.status().message().find("must match every account"), absl::string_view::npos) << set.status();
}

TEST(Scorecard, AMissingFileSaysWhichPath) {
  auto set = LoadScorecardSet("/nonexistent/cards.textproto");
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.status().message().find("/nonexistent/cards.textproto"), absl::string_view::npos);
}

}  // namespace
}  // namespace retention::health
