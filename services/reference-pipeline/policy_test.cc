#include "services/reference-pipeline/policy.h"

#include <cstdlib>

#include "gtest/gtest.h"

namespace retention::reference {
namespace {

TEST(PolicyTest, TheShippedPolicyLoads) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  auto policy = LoadPolicy(std::string(srcdir ? srcdir : ".") +
                           "/retention/services/reference-pipeline/policies/default.textproto");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->min_band(), v1::GREEN);
  EXPECT_EQ(policy->cooldown_days(), 30);
  EXPECT_EQ(policy->max_churn_tier(), v1::LOW);
}

TEST(PolicyTest, ErrorsNameTheFileAndLine) {
  const std::string text = R"(version: "x"
min_band: GREEN
stages: [LIKE]
max_churn_tier: LOW
success_within_days: 180
cooldown_days: -1
max_asks_per_year: 4
advocate_within_days: 365
ask_at_signing_min_band: GREEN
)";
  auto policy = ParsePolicy(text, "p.textproto");
  ASSERT_FALSE(policy.ok());
  EXPECT_EQ(policy.status().message(), "p.textproto:6: cooldown_days must be >= 0");
  auto bad_enum = ParsePolicy("version: \"x\" min_band: BLUE", "q.textproto");
  ASSERT_FALSE(bad_enum.ok());
  EXPECT_NE(bad_enum.status().message().find("q.textproto:1"), std::string::npos) << bad_enum.status();
}

}  // namespace
}  // namespace retention::reference
