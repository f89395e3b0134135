// The account activity model (libs/activity): a fuzzed stored Activity, fuzzed events
// folded at a moving clock, then every measure read out of it.
#include "libs/activity/activity.h"
#include "tests/fuzz/engine_harness.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace retention;
  fuzz::FuzzInput in(data, size);
  activity::Activity a;
  if (!a.ParseFromString(in.Bytes())) a.Clear();
  const int initial_features = a.features_size();
  const int initial_stakeholders = a.stakeholders_size();
  absl::Time now = fuzz::kFuzzWall - absl::Seconds(static_cast<int64_t>(in.Uint(4)));
  while (!in.empty()) {
    v1::InteractionEvent event;
    if (!event.ParseFromString(in.Bytes())) continue;
    now += absl::Seconds(static_cast<int64_t>(in.Uint(2)));
    activity::Apply(event, now, &a);
    FUZZ_CHECK(a.features_size() <= std::max(initial_features, activity::kMaxFeatures));
    FUZZ_CHECK(a.stakeholders_size() <= std::max(initial_stakeholders, activity::kMaxStakeholders));
  }
  const int32_t today = activity::DayOf(now);
  activity::ComputeMeasures(a, today);
  activity::DaysSilent(a, today);
  activity::DaysSinceUsage(a, today);
  activity::AdvocacyActions(a, today);
  activity::NextDailyTick(a.plan(), now);
  activity::Prune(today, &a);
  activity::ComputeMeasures(a, today + 1);
  return 0;
}
