// Ingest killed with SIGKILL at random points mid-stream and restarted, several times:
// a read_committed reader of the v1 topic must see every distinct event exactly once.
#include <map>
#include <random>
#include <set>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/ingest_harness.h"

namespace retention::testing {
namespace {

TEST(IngestCrash, EveryDistinctEventExactlyOnceAfterRepeatedSigkill) {
  IngestHarness h;
  const unsigned seed = static_cast<unsigned>(absl::ToUnixNanos(absl::Now()));
  std::mt19937 rng(seed);
  SCOPED_TRACE(absl::StrCat("seed ", seed));

  constexpr int kRounds = 5;
  constexpr int kChunk = 6000;
  std::set<std::string> distinct;
  int next_id = 0;
  const auto chunk = [&] {
    std::vector<kafka::OutgoingRecord> records;
    for (int i = 0; i < kChunk; ++i) {
      std::string id;
      if (!distinct.empty() && rng() % 10 == 0) {
        // An upstream repeat of an earlier event.
        auto it = distinct.begin();
        std::advance(it, rng() % std::min<size_t>(distinct.size(), 500));
        id = *it;
      } else {
        id = h.Id(absl::StrCat("evt-", next_id++));
        distinct.insert(id);
      }
      records.push_back(AsProtobuf(UsageEvent(id, absl::StrCat("acct-", rng() % 200))));
    }
    return records;
  };

  int kills = 0;
  for (int round = 0; round < kRounds; ++round) {
    ProduceAll(h.raw, chunk());
    auto ingest = h.Start({"--max_batch=200"});
    // Let it get going, then kill it at a random point.
    ASSERT_TRUE(WaitFor([&] { return MetricValue(h.Metrics(), "retention_ingest_events_in_total") > 0; },
                        absl::Seconds(60)))
        << ingest->Log();
    absl::SleepFor(absl::Milliseconds(rng() % 400));
    const double in_at_kill = MetricValue(h.Metrics(), "retention_ingest_events_in_total");
    ingest->Kill();
    ++kills;
    std::printf("round %d: killed after %.0f records in this run\n", round, in_at_kill);
  }

  auto ingest = h.Start();
  const auto settled = ReadTopic(h.v1, distinct.size(), absl::Seconds(120));
  EXPECT_GE(settled.size(), distinct.size());
  EXPECT_EQ(ingest->Terminate(), 0) << ingest->Log();

  const auto records = ReadTopic(h.v1, distinct.size(), absl::Seconds(60));
  std::map<std::string, int> seen;
  for (const kafka::ConsumedRecord& r : records) {
    v1::InteractionEvent e;
    ASSERT_TRUE(e.ParseFromString(r.value));
    ++seen[e.event_id()];
  }
  int missing = 0;
  int repeated = 0;
  for (const std::string& id : distinct) {
    if (seen[id] == 0) ++missing;
    if (seen[id] > 1) ++repeated;
  }
  std::printf("%d kills, %zu distinct events, %zu records on v1, %d missing, %d repeated\n", kills,
              distinct.size(), records.size(), missing, repeated);
  EXPECT_EQ(kills, kRounds);
  EXPECT_EQ(missing, 0);
  EXPECT_EQ(repeated, 0);
  EXPECT_EQ(records.size(), distinct.size());
}

}  // namespace
}  // namespace retention::testing
