// reference-pipeline's event folding: fuzzed events, health and churn signals and
// request records on its input topics, fuzzed stored states, batches and ticks, with
// the shipped policy.
#include "services/reference-pipeline/engine.h"
#include "services/reference-pipeline/policy.h"
#include "tests/fuzz/engine_harness.h"
#include "tests/fuzz/shipped.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace retention;
  static const reference::ReferenceEngine* engine = [] {
    reference::EngineSettings settings;
    settings.policy = fuzz::ShippedOrDie(reference::LoadPolicy(fuzz::kShippedPolicy), fuzz::kShippedPolicy);
    return new reference::ReferenceEngine(std::move(settings));
  }();
  static const std::vector<std::string> topics = {engine->settings().v1_topic, engine->settings().health_topic,
                                                  engine->settings().churn_topic, engine->settings().requests_topic};
  fuzz::FoldFuzzInput(*engine, topics, data, size);
  return 0;
}
