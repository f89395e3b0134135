#include "libs/stream/signal_hub.h"

#include "gtest/gtest.h"

namespace retention::stream {
namespace {

struct Signal {
  std::string account;
  bool red;
};

TEST(SignalHub, EachSubscriberGetsTheSignalsItsFilterMatchesInOrder) {
  SignalHub<Signal> hub;
  auto red = hub.Subscribe([](const Signal& s) { return s.red; });
  auto all = hub.Subscribe([](const Signal&) { return true; });
  hub.Publish({"a", false});
  hub.Publish({"b", true});
  hub.Publish({"c", true});
  EXPECT_EQ(red->Next(absl::ZeroDuration())->account, "b");
  EXPECT_EQ(red->Next(absl::ZeroDuration())->account, "c");
  EXPECT_FALSE(red->Next(absl::ZeroDuration()).has_value());
  EXPECT_EQ(all->Next(absl::ZeroDuration())->account, "a");
}

TEST(SignalHub, ASlowSubscriberOverflowsInsteadOfHoldingOthersUp) {
  SignalHub<Signal> hub(2);
  auto slow = hub.Subscribe([](const Signal&) { return true; });
  for (int i = 0; i < 3; ++i) hub.Publish({"a", true});
  EXPECT_TRUE(slow->overflowed());
  EXPECT_FALSE(slow->Next(absl::ZeroDuration()).has_value());
}

TEST(SignalHub, CloseEndsWaitingSubscribers) {
  SignalHub<Signal> hub;
  auto s = hub.Subscribe([](const Signal&) { return true; });
  hub.Close();
  EXPECT_TRUE(s->closed());
  EXPECT_FALSE(s->Next(absl::Seconds(5)).has_value()) << "returns at once, not after 5 s";
}

}  // namespace
}  // namespace retention::stream
