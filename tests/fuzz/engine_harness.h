// Drives a stateful service's engine the way the stateful loop does, from a fuzz input:
// stored states (any bytes: a corrupt one must not crash), records on the engine's
// input topics (any bytes), batches folded, and the clock moved on so accounts tick.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "libs/kafka/record.h"
#include "libs/stream/local_runner.h"
#include "tests/fuzz/fuzz_input.h"

namespace retention::fuzz {

// The wall clock of every fuzz run: fixed, so that a crash reproduces.
inline const absl::Time kFuzzWall = absl::FromUnixSeconds(1'796'083'200);  // 2026-12-01
// The loop quarantines records dated further ahead than this (max_future_skew).
inline const absl::Duration kFuzzFutureSkew = absl::Minutes(5);

// Operations of an engine fuzz input, each a byte followed by its operands.
enum EngineOp : uint8_t {
  kStoreState = 0,   // account, state bytes
  kRecord = 1,       // topic index, key, value
  kFeedBatch = 2,    // folds the records read since the last batch
  kAdvanceClock = 3, // seconds (4 bytes) to move the clock on, up to the wall clock
  kEngineOps = 4,
};

#define FUZZ_CHECK(condition)                                                      \
  do {                                                                             \
    if (!(condition)) {                                                            \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                \
    }                                                                              \
  } while (0)

template <typename Engine>
void CheckFold(const stream::FoldResult& result) {
  for (const stream::AccountWrite& w : result.writes) {
    if (!w.write_state) continue;
    typename Engine::State state;
    FUZZ_CHECK(state.ParseFromString(w.state));
  }
  FUZZ_CHECK(result.signals.size() == result.trigger_received_at.size());
}

template <typename Engine>
void FoldFuzzInput(const Engine& engine, const std::vector<std::string>& topics, const uint8_t* data,
                   size_t size) {
  stream::LocalRunner<Engine> runner(&engine);
  FuzzInput in(data, size);
  std::vector<kafka::ConsumedRecord> batch;
  int64_t offset = 0;
  const auto feed = [&] {
    CheckFold<Engine>(runner.Feed(batch));
    batch.clear();
  };
  while (!in.empty()) {
    switch (in.Byte() % kEngineOps) {
      case kStoreState: {
        const std::string account = in.Bytes();
        runner.Store(account, in.Bytes());
        break;
      }
      case kRecord: {
        kafka::ConsumedRecord r;
        r.topic = topics[in.Byte() % topics.size()];
        r.offset = offset++;
        r.key = in.Bytes();
        r.value = in.Bytes();
        r.headers = {{"content-type", "application/x-protobuf"}};
        // As the loop does: a record dated too far ahead of the wall clock is quarantined.
        auto decoded = engine.Decode(r);
        if (decoded.ok() && decoded->event_time > kFuzzWall + kFuzzFutureSkew) break;
        batch.push_back(std::move(r));
        break;
      }
      case kFeedBatch:
        feed();
        break;
      case kAdvanceClock: {
        const absl::Time to = runner.clock() + absl::Seconds(static_cast<int64_t>(in.Uint(4)));
        CheckFold<Engine>(runner.AdvanceTo(std::min(to, kFuzzWall)));
        break;
      }
    }
  }
  feed();
}

}  // namespace retention::fuzz
