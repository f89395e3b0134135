// health-score's event folding: fuzzed events and override records on its input topics,
// fuzzed stored states, batches and ticks, with the shipped scorecard.
#include "services/health-score/engine.h"
#include "services/health-score/scorecard.h"
#include "tests/fuzz/engine_harness.h"
#include "tests/fuzz/shipped.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace retention;
  static const health::HealthEngine* engine = [] {
    health::EngineSettings settings;
    settings.scorecards = fuzz::ShippedOrDie(health::LoadScorecardSet(fuzz::kShippedScorecards), fuzz::kShippedScorecards);
    return new health::HealthEngine(std::move(settings));
  }();
  static const std::vector<std::string> topics = {engine->settings().v1_topic, engine->settings().overrides_topic};
  fuzz::FoldFuzzInput(*engine, topics, data, size);
  return 0;
}
