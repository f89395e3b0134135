// health-score's scorecard loader: any text; a scorecard set it accepts must then score
// an account (empty, and one with some activity) without failing.
#include "libs/activity/activity.h"
#include "services/health-score/engine.h"
#include "services/health-score/scorecard.h"
#include "tests/fuzz/engine_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace retention;
  auto set = health::ParseScorecardSet(std::string(reinterpret_cast<const char*>(data), size), "fuzz.textproto");
  if (!set.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(set.status()));
    return 0;
  }
  health::SelectScorecard(*set, "enterprise", "large");
  healthscore::HealthState state;
  state.set_account_id("acct-1");
  health::Evaluate(*set, state, fuzz::kFuzzWall);
  v1::InteractionEvent usage;
  usage.set_account_id("acct-1");
  usage.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(fuzz::kFuzzWall));
  usage.mutable_product_usage()->set_active_users(3);
  usage.mutable_product_usage()->set_licensed_seats(10);
  usage.mutable_product_usage()->add_features_used("reports");
  activity::Apply(usage, fuzz::kFuzzWall, state.mutable_activity());
  health::Evaluate(*set, state, fuzz::kFuzzWall);
  return 0;
}
