// churn-risk's event folding: fuzzed events and health signals on its input topics,
// fuzzed stored states, batches and ticks, with the shipped model.
#include "services/churn-risk/engine.h"
#include "services/churn-risk/model.h"
#include "tests/fuzz/engine_harness.h"
#include "tests/fuzz/shipped.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace retention;
  static const churn::ChurnEngine* engine = [] {
    churn::EngineSettings settings;
    settings.model = fuzz::ShippedOrDie(churn::LoadModel(fuzz::kShippedModel), fuzz::kShippedModel);
    return new churn::ChurnEngine(std::move(settings));
  }();
  static const std::vector<std::string> topics = {engine->settings().v1_topic, engine->settings().health_topic};
  fuzz::FoldFuzzInput(*engine, topics, data, size);
  return 0;
}
