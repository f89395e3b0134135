#include "tools/generate/generator.h"

#include <algorithm>
#include <map>
#include <numeric>

#include "gtest/gtest.h"

namespace retention::generate {
namespace {

std::string GenerateAll(const Settings& settings, const NoiseSettings& noise) {
  std::string out;
  Generate(settings, noise, 64, [&](const std::vector<OutputRecord>& records, const std::vector<Label>& labels) {
    for (const auto& r : records) out += r.line + "\n";
    for (const auto& l : labels) out += LabelRow(l) + "\n";
    return true;
  });
  return out;
}

TEST(GeneratorTest, SameSeedGivesByteIdenticalOutput) {
  Settings settings;
  settings.accounts = 300;
  settings.seed = 42;
  const NoiseSettings noise{0.01, 0.02};
  const std::string first = GenerateAll(settings, noise);
  EXPECT_GT(first.size(), 1'000'000u);
  EXPECT_EQ(first, GenerateAll(settings, noise));
  settings.seed = 43;
  EXPECT_NE(first, GenerateAll(settings, noise));
}

TEST(GeneratorTest, AnAccountDoesNotDependOnTheSizeOfTheBase) {
  Settings small;
  small.accounts = 10;
  Settings large = small;
  large.accounts = 100000;
  const Account a = GenerateAccount(small, 7);
  const Account b = GenerateAccount(large, 7);
  ASSERT_EQ(a.events.size(), b.events.size());
  for (size_t i = 0; i < a.events.size(); ++i) EXPECT_EQ(a.events[i].SerializeAsString(), b.events[i].SerializeAsString());
}

class GeneratedBase : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Settings settings;
    settings.accounts = 6000;
    settings.seed = 7;
    for (int64_t i = 0; i < settings.accounts; ++i) accounts_->push_back(GenerateAccount(settings, i));
  }
  static std::vector<Account>* accounts_;
};
std::vector<Account>* GeneratedBase::accounts_ = new std::vector<Account>();

TEST_F(GeneratedBase, ChurnRatesPerTrajectoryMatchTheirSpecification) {
  std::map<Trajectory, std::pair<int, int>> churned_of;  // churned, total
  for (const Account& a : *accounts_) {
    auto& [churned, total] = churned_of[a.label.trajectory];
    churned += a.label.churned;
    ++total;
    EXPECT_EQ(a.label.churned, !a.label.cause.empty()) << a.label.account_id;
    EXPECT_EQ(a.label.advocate, a.label.trajectory == Trajectory::kAdvocate);
  }
  ASSERT_EQ(churned_of.size(), static_cast<size_t>(kTrajectoryCount));
  for (const TrajectorySpec& spec : TrajectorySpecs()) {
    const auto [churned, total] = churned_of[spec.trajectory];
    const double expected = spec.churn_base + spec.churn_severity / 2;  // severity is uniform on [0, 1]
    EXPECT_NEAR(static_cast<double>(total) / accounts_->size(), spec.share, 0.02) << TrajectoryName(spec.trajectory);
    EXPECT_NEAR(static_cast<double>(churned) / total, expected, 0.07) << TrajectoryName(spec.trajectory);
  }
}

TEST_F(GeneratedBase, AFifthOfTheAccountsHoldMostOfTheRevenue) {
  std::vector<int64_t> arr;
  for (const Account& a : *accounts_) arr.push_back(a.label.arr);
  std::sort(arr.rbegin(), arr.rend());
  const double total = std::accumulate(arr.begin(), arr.end(), 0.0);
  const double top = std::accumulate(arr.begin(), arr.begin() + arr.size() / 5, 0.0);
  EXPECT_GT(top / total, 0.72);
  EXPECT_LT(top / total, 0.88);
}

// The events tell each trajectory's story, which is what the model has to learn from.
TEST_F(GeneratedBase, EventsTellTheStoryOfTheTrajectory) {
  for (const Account& a : *accounts_) {
    int champion_left = 0, advocacy = 0, consent = 0, nps = -1, seats = 0, last_usage_day = -1, last_day = -1;
    double early = 0, late = 0;
    int early_days = 0, late_days = 0;
    int64_t previous = 0;
    const int64_t end = absl::ToUnixSeconds(Settings().end);
    for (const v1::InteractionEvent& e : a.events) {
      ASSERT_GE(e.occurred_at().seconds(), previous) << "out of order in " << a.label.account_id;
      ASSERT_LT(e.occurred_at().seconds(), end);
      previous = e.occurred_at().seconds();
      const int day = static_cast<int>(120 - (end - e.occurred_at().seconds()) / 86400 - 1);
      last_day = day;
      if (e.has_stakeholder_change() && e.stakeholder_change().kind() == v1::StakeholderChange::LEFT_COMPANY &&
          e.stakeholder_change().champion()) ++champion_left;
      if (e.has_advocacy_action()) (e.advocacy_action().kind() == v1::AdvocacyAction::REFERENCE_CONSENT ? consent : advocacy)++;
      if (e.has_survey_response()) nps = e.survey_response().nps();
      if (e.has_product_usage()) {
        last_usage_day = day;
        seats = e.product_usage().licensed_seats();
        if (day < 30) {
          early += e.product_usage().active_users();
          ++early_days;
        }
        if (day >= 106) {
          late += e.product_usage().active_users();
          ++late_days;
        }
      }
    }
    const Label& l = a.label;
    SCOPED_TRACE(l.account_id + " " + TrajectoryName(l.trajectory));
    EXPECT_EQ(champion_left > 0, l.trajectory == Trajectory::kChampionLoss);
    EXPECT_EQ(advocacy > 0 && consent == 1, l.trajectory == Trajectory::kAdvocate);
    if (l.trajectory == Trajectory::kAdvocate) {
      EXPECT_GE(nps, 9);
    }
    if (l.trajectory == Trajectory::kStuck) {
      EXPECT_GE(seats, 120);
      EXPECT_LE(nps, 6);
    }
    if (l.trajectory == Trajectory::kDetractor) {
      EXPECT_LE(nps, 6);
    }
    // Going dark: nothing at all for the last two weeks or more (longer the more
    // severe), a renewal to come within three months. Others use the product to the
    // end, but for a pause of at most 21 days.
    if (l.trajectory == Trajectory::kGoesDark) {
      EXPECT_LE(last_day, 119 - 14);
      EXPECT_EQ(last_usage_day, 119 - 14 - std::lround(66 * l.severity));
      EXPECT_LE(l.renewal, Settings().end + absl::Hours(24 * 90));
    } else {
      EXPECT_GE(last_usage_day, 119 - 21);
    }
    if (l.trajectory == Trajectory::kDecaying && l.severity > 0.6 && early_days > 0 && late_days > 0) {
      EXPECT_LT(late / late_days, 0.8 * early / early_days);
    }
  }
}

TEST(GeneratorNoiseTest, MalformedAndRepeatedRecordsComeInTheAskedShares) {
  Settings settings;
  settings.accounts = 200;
  int64_t total = 0, malformed = 0, repeats = 0;
  Generate(settings, {0.05, 0.1}, 50, [&](const std::vector<OutputRecord>& records, const std::vector<Label>&) {
    for (const auto& r : records) {
      malformed += r.malformed;
      repeats += r.repeat;
      total += !r.malformed && !r.repeat;
    }
    return true;
  });
  EXPECT_NEAR(static_cast<double>(malformed) / total, 0.05, 0.01);
  EXPECT_NEAR(static_cast<double>(repeats) / total, 0.1, 0.015);
}

}  // namespace
}  // namespace retention::generate
