#include "tools/train/logistic.h"

#include <cmath>
#include <cstdint>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/status/matchers.h"

namespace retention::train {
namespace {

TEST(AucTest, CountsOrderedPairsAndHalfTies) {
  EXPECT_DOUBLE_EQ(Auc({0.1, 0.2, 0.8, 0.9}, {0, 0, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(Auc({0.9, 0.8, 0.2, 0.1}, {0, 0, 1, 1}), 0.0);
  EXPECT_DOUBLE_EQ(Auc({0.5, 0.5, 0.5, 0.5}, {0, 1, 0, 1}), 0.5);
  // Pairs (positive, negative): (0.7 > 0.3) (0.7 > 0.6) (0.4 > 0.3) (0.4 < 0.6): 3 of 4.
  EXPECT_DOUBLE_EQ(Auc({0.3, 0.7, 0.6, 0.4}, {0, 1, 0, 1}), 0.75);
}

TEST(LiftTest, TopTenthAgainstTheBaseRate) {
  std::vector<double> score;
  std::vector<int> y;
  for (int i = 0; i < 100; ++i) {
    score.push_back(i);
    y.push_back(i >= 90 || i % 10 == 0 ? 1 : 0);  // the top 10 and 9 below them: 19 of 100
  }
  // The top ten are all positive: 1.0 / 0.19.
  EXPECT_NEAR(TopDecileLift(score, y), 1.0 / 0.19, 1e-9);
}

TEST(CalibrationTest, BinsByPredictedProbability) {
  const auto bins = Calibration({0.1, 0.1, 0.9, 0.9}, {0, 0, 1, 0}, 2);
  ASSERT_EQ(bins.size(), 2u);
  EXPECT_DOUBLE_EQ(bins[0].predicted, 0.1);
  EXPECT_DOUBLE_EQ(bins[0].observed, 0.0);
  EXPECT_DOUBLE_EQ(bins[1].predicted, 0.9);
  EXPECT_DOUBLE_EQ(bins[1].observed, 0.5);
  EXPECT_NEAR(Brier({0.1, 0.1, 0.9, 0.9}, {0, 0, 1, 0}), (0.01 + 0.01 + 0.01 + 0.81) / 4, 1e-12);
}

// Draws from a known logistic model; the fit must find its coefficients again.
TEST(FitLogisticTest, RecoversKnownCoefficients) {
  uint64_t state = 12345;
  const auto uniform = [&]() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) * 0x1.0p-53;
  };
  Matrix x;
  std::vector<int> y;
  for (int i = 0; i < 40000; ++i) {
    const double a = uniform() * 4 - 2;  // uniform on [-2, 2]: sd 2/sqrt(3)
    const double b = uniform() < 0.3 ? 1 : 0;
    const double z = -1 + 1.5 * a - 2 * b;
    y.push_back(uniform() < 1 / (1 + std::exp(-z)) ? 1 : 0);
    // Every tenth row lacks b: it counts as the mean.
    x.push_back({a, i % 10 == 0 ? std::nullopt : std::optional<double>(b)});
  }
  const auto fitted = FitLogistic(x, y, /*l2=*/0);
  ASSERT_THAT(fitted, testing::IsOk());
  const LogisticFit& fit = *fitted;
  // Per scaled unit: the raw coefficient times the column's standard deviation.
  EXPECT_NEAR(fit.coefficients[0] / fit.scale[0], 1.5, 0.08);
  EXPECT_NEAR(fit.coefficients[1] / fit.scale[1], -2.0, 0.15);
  EXPECT_NEAR(fit.mean[1], 0.3, 0.01);
  EXPECT_LT(fit.iterations, 20);
  // The fitted model predicts as the true one.
  EXPECT_NEAR(PredictLogistic(fit, {0.0, 0.0}), 1 / (1 + std::exp(1.0)), 0.03);
}

TEST(FitLogisticTest, PenaltyShrinksCoefficients) {
  Matrix x = {{0.0}, {1.0}, {2.0}, {3.0}, {1.0}, {2.0}};
  std::vector<int> y = {0, 0, 1, 1, 1, 0};
  EXPECT_LT(std::abs(FitLogistic(x, y, 10)->coefficients[0]), std::abs(FitLogistic(x, y, 0.1)->coefficients[0]));
}

// With one class only the intercept would run off to infinity: refused, at once.
TEST(FitLogisticTest, RefusesLabelsThatAreAllTheSame) {
  const Matrix x = {{0.0}, {1.0}, {2.0}, {3.0}};
  EXPECT_THAT(FitLogistic(x, {1, 1, 1, 1}),
              testing::StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::HasSubstr("all 4 labels are 1")));
  EXPECT_THAT(FitLogistic(x, {0, 0, 0, 0}, /*l2=*/0),
              testing::StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::HasSubstr("all 4 labels are 0")));
  EXPECT_THAT(FitLogistic({}, {}), testing::StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace retention::train
