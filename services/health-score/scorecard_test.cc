#include "services/health-score/scorecard.h"

#include <cstdlib>

#include "gtest/gtest.h"

namespace retention::health {
namespace {

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
