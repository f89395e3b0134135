#include "services/health-score/signal_hub.h"

#include "gtest/gtest.h"

namespace retention::health {
namespace {

v1::HealthSignal Signal(const std::string& account, v1::HealthBand band) {
  v1::HealthSignal s;
  s.set_account_id(account);
  s.mutable_health()->set_band(band);
  s.mutable_health()->set_segment("default");
  return s;
}

TEST(SignalHub, EachSubscriberGetsTheSignalsItsFilterMatchesInOrder) {
  SignalHub hub;
  v1::HealthFilter red_only;
  red_only.add_bands(v1::RED);
  auto red = hub.Subscribe(red_only);
  auto all = hub.Subscribe({});
  hub.Publish(Signal("a", v1::GREEN));
  hub.Publish(Signal("b", v1::RED));
  hub.Publish(Signal("c", v1::RED));
  EXPECT_EQ(red->Next(absl::ZeroDuration())->account_id(), "b");
  EXPECT_EQ(red->Next(absl::ZeroDuration())->account_id(), "c");
  EXPECT_FALSE(red->Next(absl::ZeroDuration()).has_value());
  EXPECT_EQ(all->Next(absl::ZeroDuration())->account_id(), "a");
}

TEST(SignalHub, ASlowSubscriberOverflowsInsteadOfHoldingOthersUp) {
  SignalHub hub(2);
  auto slow = hub.Subscribe({});
  for (int i = 0; i < 3; ++i) hub.Publish(Signal("a", v1::RED));
  EXPECT_TRUE(slow->overflowed());
  EXPECT_FALSE(slow->Next(absl::ZeroDuration()).has_value());
}

TEST(SignalHub, CloseEndsWaitingSubscribers) {
  SignalHub hub;
  auto s = hub.Subscribe({});
  hub.Close();
  EXPECT_TRUE(s->closed());
  EXPECT_FALSE(s->Next(absl::Seconds(5)).has_value()) << "returns at once, not after 5 s";
}

TEST(Matches, EmptyFilterFieldsMatchAnything) {
  v1::AccountHealth h;
  h.set_band(v1::YELLOW);
  h.set_loyalty_stage(v1::LIKE);
  h.set_segment("enterprise");
  v1::HealthFilter f;
  EXPECT_TRUE(Matches(f, h));
  f.add_segments("default");
  EXPECT_FALSE(Matches(f, h));
  f.add_segments("enterprise");
  f.add_stages(v1::LIKE);
  EXPECT_TRUE(Matches(f, h));
}

}  // namespace
}  // namespace retention::health
