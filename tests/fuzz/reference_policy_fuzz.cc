// reference-pipeline's policy loader: any text; a policy it accepts must then evaluate
// and rank an account without failing.
#include "services/reference-pipeline/engine.h"
#include "services/reference-pipeline/policy.h"
#include "services/reference-pipeline/profile.h"
#include "tests/fuzz/engine_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace retention;
  auto policy = reference::ParsePolicy(std::string(reinterpret_cast<const char*>(data), size), "fuzz.textproto");
  if (!policy.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(policy.status()));
    return 0;
  }
  reference::ReferenceAccountState state;
  v1::InteractionEvent advocacy;
  advocacy.set_account_id("acct-1");
  advocacy.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(fuzz::kFuzzWall));
  advocacy.mutable_advocacy_action()->set_kind(v1::AdvocacyAction::CASE_STUDY);
  reference::ApplyEvent(advocacy, &state);
  const v1::AdvocacyProfile profile = reference::Current(*policy, state, fuzz::kFuzzWall);
  v1::ReferenceCriteria criteria;
  criteria.set_industry("fintech");
  criteria.add_products("analytics");
  reference::Score(*policy, criteria, profile, fuzz::kFuzzWall);
  reference::Rank(*policy, criteria, profile, fuzz::kFuzzWall);
  reference::NextChange(*policy, profile, {}, fuzz::kFuzzWall);
  return 0;
}
