// churn-risk's model loader: any text; a model it accepts must then predict, tier, rank
// drivers and assess an account without failing, whatever the features' values.
#include "services/churn-risk/engine.h"
#include "services/churn-risk/model.h"
#include "tests/fuzz/engine_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace retention;
  auto model = churn::ParseModel(std::string(reinterpret_cast<const char*>(data), size), "fuzz.textproto");
  if (!model.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(model.status()));
    return 0;
  }
  for (double value : {0.0, 1.0, -1e9, 1e12}) {
    churn::FeatureValues features;
    for (int f = v1::ChurnFeature_MIN; f <= v1::ChurnFeature_MAX; ++f) {
      if (v1::ChurnFeature_IsValid(f)) features[static_cast<v1::ChurnFeature>(f)] = value;
    }
    const churn::Prediction p = churn::Predict(*model, features);
    FUZZ_CHECK(!(p.probability < 0) && !(p.probability > 1));
    churn::TopDrivers(*model, p);
    churn::RetentionPriority(*model, p.probability, 1'000'000, 10);
    churn::ShouldPublish(*model, churn::Published{0.5, v1::HIGH}, p.probability, p.tier);
  }
  churnrisk::ChurnState state;
  state.set_account_id("acct-1");
  churn::Assess(*model, state, fuzz::kFuzzWall);
  return 0;
}
