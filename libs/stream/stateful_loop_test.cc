// The stateful loop against the fake Kafka and the in-memory store: exactly-once state
// across crashes, retries and rebalances, fencing of a zombie, loss and rollback
// detected and rebuilt, quarantine, time-driven ticks, lag past transaction markers.
#include "libs/stream/stateful_loop.h"

#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/kafka/fake_kafka.h"
#include "libs/kafka/partitioner.h"
#include "libs/status/matchers.h"
#include "libs/stream/memory_state_store.h"
#include "libs/stream/testing/counter_state.pb.h"
#include "retention/v1/dead_letter.pb.h"

namespace retention::stream {
namespace {

using streamtest::CounterState;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

constexpr absl::Duration kQuietAfter = absl::Hours(48);
const absl::Time kT0 = absl::FromUnixSeconds(1'790'000'000);

struct Event {
  std::string account;
  absl::Time at;
  int64_t value;
};

// A counter per account: "<account>|<event ms>|<value>" records add up; an account
// that goes 48 h without an event gets one "quiet" signal (a tick at that time).
class CounterEngine : public AccountEngine<CounterState, Event> {
 public:
  absl::StatusOr<Decoded<Event>> Decode(const kafka::ConsumedRecord& record) const override {
    std::vector<std::string> parts = absl::StrSplit(record.value, '|');
    int64_t ms = 0;
    int64_t value = 0;
    if (parts.size() != 3 || !absl::SimpleAtoi(parts[1], &ms) || !absl::SimpleAtoi(parts[2], &value)) {
      return absl::InvalidArgumentError("not <account>|<ms>|<value>");
    }
    return Decoded<Event>{parts[0], absl::FromUnixMillis(ms), {parts[0], absl::FromUnixMillis(ms), value}};
  }
  void Apply(const Decoded<Event>& in, const kafka::ConsumedRecord& record, absl::Time now, CounterState& s,
             Emitted& out) const override {
    s.set_account(in.account);
    s.set_events(s.events() + 1);
    s.set_sum(s.sum() + in.input.value);
    s.set_last_event_ms(std::max(s.last_event_ms(), absl::ToUnixMillis(in.event_time)));
    s.set_evaluated_ms(absl::ToUnixMillis(now));
    s.set_quiet(false);
    out.counters.push_back({"totals", "events", 1});
    if (s.sum() == s.published_sum() || out.silent) return;
    s.set_published_sum(s.sum());
    s.set_published_sequence(out.NextSequence(s.published_sequence()));
    out.Signal({"signals", in.account, absl::StrCat("sum:", in.account, ":", s.sum()),
                {{"signal-id", absl::StrCat(in.account, "@", record.topic, "/", record.offset)},
                 {"sequence", absl::StrCat(s.published_sequence())}}},
               absl::InfinitePast());
  }
  bool RestorePublished(const kafka::ConsumedRecord& signal, CounterState& s) const override {
    std::vector<std::string> parts = absl::StrSplit(signal.value, ':');
    const auto sequence = kafka::FindHeader(signal.headers, "sequence");
    int64_t sum = 0;
    int64_t seq = 0;
    if (parts.size() != 3 || parts[0] != "sum" || sequence == nullptr || !absl::SimpleAtoi(parts[2], &sum) ||
        !absl::SimpleAtoi(*sequence, &seq) || seq < s.published_sequence()) {
      return false;
    }
    s.set_published_sum(sum);
    s.set_published_sequence(seq);
    return true;
  }
  absl::Time NextDue(const CounterState& s) const override {
    if (s.quiet() || s.events() == 0) return absl::InfiniteFuture();
    return std::max(absl::FromUnixMillis(s.last_event_ms()) + kQuietAfter,
                    absl::FromUnixMillis(s.evaluated_ms()) + absl::Milliseconds(1));
  }
  void Tick(absl::Time due, CounterState& s, Emitted& out) const override {
    s.set_evaluated_ms(absl::ToUnixMillis(due));
    s.set_ticks(s.ticks() + 1);
    if (due - absl::FromUnixMillis(s.last_event_ms()) >= kQuietAfter) {
      s.set_quiet(true);
      out.Signal({"signals", s.account(), absl::StrCat("quiet:", s.account()),
                  {{"signal-id", absl::StrCat(s.account(), "@quiet@", absl::ToUnixMillis(due))}}},
                 absl::InfinitePast());
    }
  }
  AccountIndex Index(const CounterState& s) const override {
    AccountIndex index;
    index.summary = absl::StrCat(s.sum());
    index.rankings["by_sum"] = static_cast<double>(s.sum());
    return index;
  }
};

// A store that can run a hook before a call (to interleave replicas), or block.
class HookedStore : public StateStore {
 public:
  explicit HookedStore(StateStore* inner) : inner_(inner) {}
  absl::StatusOr<std::vector<PartitionClaim>> Claim(const std::vector<int32_t>& p) override { return inner_->Claim(p); }
  absl::StatusOr<StoreMeta> Meta() override { return inner_->Meta(); }
  absl::StatusOr<std::map<std::string, std::string>> Load(const std::vector<std::string>& a) override {
    if (before_load) std::exchange(before_load, nullptr)();
    return inner_->Load(a);
  }
  absl::StatusOr<std::vector<std::string>> Due(int32_t p, absl::Time t, size_t l) override { return inner_->Due(p, t, l); }
  absl::StatusOr<WriteResult> Write(const BatchWrite& w) override {
    if (before_write) std::exchange(before_write, nullptr)();
    return inner_->Write(w);
  }
  absl::StatusOr<WriteResult> Verify(const std::vector<PartitionWrite>& c) override { return inner_->Verify(c); }

  std::function<void()> before_load;
  std::function<void()> before_write;

 private:
  StateStore* inner_;
};

// One replica: its consumer, producer, store view and loop.
struct Replica {
  Replica(kafka::FakeKafka& kafka, StateStore* store, const Clock* clock, int32_t partitions,
          const std::string& name = "replica")
      : registry(std::make_shared<prometheus::Registry>()),
        dependencies(*registry, "retention_test_" + name, {"kafka", "redis", "state"}),
        metrics(*registry, "retention_test_" + name, "counter"),
        liveness(clock, absl::Seconds(30)),
        folder(&engine) {
    LoopSettings settings;
    settings.service = "counter";
    settings.input_topics = {"events"};
    settings.partitions = partitions;
    settings.quarantine_topic = "quarantine";
    settings.max_batch = 4;
    settings.poll_wait = absl::ZeroDuration();
    settings.tick_interval = absl::ZeroDuration();
    settings.verify_interval = absl::ZeroDuration();
    settings.read_own_signals = [&kafka](int32_t partition, const auto& handle) {
      std::vector<kafka::ConsumedRecord> mine;
      for (auto& r : kafka.Records("signals")) {
        if (r.partition == partition) mine.push_back(std::move(r));
      }
      return handle(mine);
    };
    producer = kafka.NewProducer({});
    loop = std::make_unique<StatefulLoop>(settings, &folder, store, producer.get(), clock, &dependencies, &metrics,
                                          &liveness, &gate);
    kafka::ConsumerOptions options;
    options.group_id = "counter";
    loop->Attach(options);
    consumer = kafka.NewConsumer(options);
  }
  void Step(int turns = 1) {
    for (int i = 0; i < turns; ++i) loop->Step(*consumer, stop);
  }

  std::shared_ptr<prometheus::Registry> registry;
  dependency::DependencyHealth dependencies;
  LoopMetrics metrics;
  Liveness liveness;
  ServingGate gate;
  CounterEngine engine;
  EngineFolder<CounterEngine> folder;
  std::unique_ptr<kafka::Producer> producer;
  std::unique_ptr<StatefulLoop> loop;
  std::unique_ptr<kafka::Consumer> consumer;
  std::atomic<bool> stop{false};
};

class StatefulLoopTest : public ::testing::Test {
 protected:
  StatefulLoopTest() : clock(kT0 + absl::Hours(1)) {
    kafka.CreateTopic("events", 2);
    kafka.CreateTopic("signals", 2);
    kafka.CreateTopic("quarantine", 2);
  }

  void Send(const std::string& account, absl::Time at, int64_t value) {
    kafka.Append({"events", account, absl::StrCat(account, "|", absl::ToUnixMillis(at), "|", value), {}});
  }
  // account -> sum in the store.
  std::map<std::string, int64_t> Sums() {
    std::map<std::string, int64_t> out;
    for (const auto& [account, bytes] : store.data().states) {
      CounterState s;
      s.ParseFromString(bytes);
      out[account] = s.sum();
    }
    return out;
  }
  std::set<std::string> SignalIds() {
    std::set<std::string> ids;
    for (const auto& r : kafka.Records("signals")) ids.insert(*kafka::FindHeader(r.headers, "signal-id"));
    return ids;
  }

  kafka::FakeKafka kafka;
  MemoryStateStore store;
  ManualClock clock;
};

TEST_F(StatefulLoopTest, FoldsEveryRecordOnceAndCommitsItsCheckpoint) {
  for (int i = 1; i <= 10; ++i) Send(absl::StrCat("a", i % 3), kT0 + absl::Minutes(i), i);
  Replica r(kafka, &store, &clock, 2);
  r.Step(10);
  EXPECT_EQ(Sums(), (std::map<std::string, int64_t>{{"a0", 3 + 6 + 9}, {"a1", 1 + 4 + 7 + 10}, {"a2", 2 + 5 + 8}}));
  EXPECT_EQ(store.data().counters["totals"]["events"], 10);
  EXPECT_THAT(SignalIds(), SizeIs(10));
  for (int32_t p = 0; p < 2; ++p) {
    EXPECT_EQ(kafka.CommittedOffset("counter", "events", p), kafka.EndOffset("events", p)) << p;
    auto checkpoint = Checkpoint::Decode(store.data().checkpoints[p]);
    ASSERT_THAT(checkpoint, testing::IsOk());
    EXPECT_EQ(checkpoint->offsets["events"], kafka.EndOffset("events", p));
  }
  EXPECT_EQ(r.consumer->Lag(), 0);
}

TEST_F(StatefulLoopTest, AReplicaStoppedMidBatchAndRestartedAppliesNothingTwice) {
  for (int i = 1; i <= 12; ++i) Send(absl::StrCat("a", i % 4), kT0 + absl::Minutes(i), i);
  {
    Replica first(kafka, &store, &clock, 2);
    first.Step(2);
    // Signals published, then the write never completes (the process dies).
    store.FailNext(1000);
    first.stop = true;
    first.Step();
    store.FailNext(0);
  }
  Replica second(kafka, &store, &clock, 2);
  second.Step(12);
  int64_t total = 0;
  for (const auto& [account, sum] : Sums()) total += sum;
  EXPECT_EQ(total, 78) << "1 + 2 + ... + 12, each once";
  EXPECT_EQ(store.data().counters["totals"]["events"], 12);
  EXPECT_THAT(SignalIds(), SizeIs(12)) << "repeats of a signal carry its id";
}

TEST_F(StatefulLoopTest, AWriteRetriedAfterALostReplyCountsOnce) {
  for (int i = 1; i <= 4; ++i) Send("a", kT0 + absl::Minutes(i), i);
  Replica r(kafka, &store, &clock, 2);
  store.FailNextWriteAfterApplying();
  r.Step(6);
  EXPECT_EQ(Sums()["a"], 10);
  EXPECT_EQ(store.data().counters["totals"]["events"], 4);
}

TEST_F(StatefulLoopTest, AZombieThatLostItsPartitionsCannotOverwriteTheNewOwner) {
  kafka::FakeKafka one;
  one.CreateTopic("events", 1);
  one.CreateTopic("signals", 1);
  one.CreateTopic("quarantine", 1);
  HookedStore zombie_view(&store);
  Replica zombie(one, &zombie_view, &clock, 1, "zombie");
  one.Append({"events", "a", absl::StrCat("a|", absl::ToUnixMillis(kT0), "|1"), {}});
  zombie.Step(3);
  ASSERT_EQ(Sums()["a"], 1);
  Replica owner(one, &store, &clock, 1, "owner");
  zombie.Step(3);  // the group rebalanced; the partition stayed with the first member
  one.Append({"events", "a", absl::StrCat("a|", absl::ToUnixMillis(kT0 + absl::Minutes(1)), "|10"), {}});
  // The zombie has read the record; before it writes, it is expelled (a long pause)
  // and the new owner takes the partition and applies the record itself.
  zombie_view.before_write = [&] {
    one.Expel(zombie.consumer.get());
    owner.Step(3);
  };
  zombie.Step();
  EXPECT_EQ(Sums()["a"], 11) << "the owner's write stands, the zombie's was refused";
  one.Append({"events", "a", absl::StrCat("a|", absl::ToUnixMillis(kT0 + absl::Minutes(2)), "|100"), {}});
  owner.Step(3);
  EXPECT_EQ(Sums()["a"], 111);
  EXPECT_EQ(store.data().counters["totals"]["events"], 3);
}

TEST_F(StatefulLoopTest, LostStateFailsClosedUntilARebuildReplaysItWithoutPublishingAgain) {
  for (int i = 1; i <= 6; ++i) Send(absl::StrCat("a", i % 2), kT0 + absl::Minutes(i), i);
  Replica r(kafka, &store, &clock, 2);
  r.Step(6);
  const auto before = Sums();
  const size_t signals = kafka.Records("signals").size();
  store.Lose();  // Redis flushed
  r.Step(2);
  EXPECT_TRUE(r.loop->lost());
  EXPECT_FALSE(r.gate.open());
  EXPECT_THAT(r.gate.reason(), HasSubstr("retentionctl rebuild counter"));
  EXPECT_EQ(r.metrics.state_lost.Value(), 1);
  EXPECT_FALSE(r.dependencies.up("state"));
  Send("a1", kT0 + absl::Minutes(7), 100);  // held while lost
  r.Step(3);
  EXPECT_TRUE(Sums().empty());

  store.RequestRebuild();
  r.Step(12);
  EXPECT_FALSE(r.loop->lost());
  EXPECT_TRUE(r.gate.open());
  auto expected = before;
  expected["a1"] += 100;
  EXPECT_EQ(Sums(), expected);
  EXPECT_EQ(kafka.Records("signals").size(), signals + 1) << "history replayed silently; only the new input signalled";
}

TEST_F(StatefulLoopTest, ARebuildTakesBackWhatWasPublishedSoSubscribersSeeNoRepeatAndNoRollback) {
  for (int64_t v : {1, 2, 3}) Send("a", kT0 + absl::Minutes(v), v);
  Send("b", kT0, 5);
  Replica r(kafka, &store, &clock, 2);
  r.Step(6);
  ASSERT_THAT(SignalIds(), SizeIs(4));
  store.Lose();
  r.Step(2);
  ASSERT_TRUE(r.loop->lost());
  store.RequestRebuild();
  r.Step(6);
  ASSERT_FALSE(r.loop->lost());
  // No change to what subscribers saw: nothing published (without the restore, the
  // replayed account would publish its sum again, numbered from 1).
  Send("a", kT0 + absl::Minutes(4), 0);
  r.Step(3);
  EXPECT_THAT(SignalIds(), SizeIs(4));
  Send("a", kT0 + absl::Minutes(5), 4);
  r.Step(3);
  const auto signals = kafka.Records("signals");
  ASSERT_THAT(signals, SizeIs(5));
  EXPECT_EQ(signals.back().value, "sum:a:10");
  EXPECT_EQ(*kafka::FindHeader(signals.back().headers, "sequence"), "4") << "after the 3 a subscriber has seen";
}

TEST_F(StatefulLoopTest, AReplicaThatTakesOverMidRebuildGoesOnReplayingSilently) {
  for (int i = 1; i <= 16; ++i) Send(absl::StrCat("a", i % 4), kT0 + absl::Minutes(i), i);
  {
    Replica first(kafka, &store, &clock, 2, "first");
    first.Step(16);
    store.Lose();
    first.Step(2);
    ASSERT_TRUE(first.loop->lost());
    store.RequestRebuild();
    // One batch of the replay a step, until one is stored part-way; then it dies.
    const auto replaying = [&] {
      for (const auto& [p, text] : store.data().checkpoints) {
        if (absl::StrContains(text, ";~events=")) return true;
      }
      return false;
    };
    for (int step = 0; step < 6 && !replaying(); ++step) first.Step();
    ASSERT_TRUE(replaying()) << "the replay is under way when the replica dies";
  }
  const size_t signals = kafka.Records("signals").size();
  Replica second(kafka, &store, &clock, 2, "second");
  second.Step(16);
  EXPECT_FALSE(second.loop->lost());
  EXPECT_TRUE(second.gate.open());
  int64_t total = 0;
  for (const auto& [account, sum] : Sums()) total += sum;
  EXPECT_EQ(total, 136) << "1 + 2 + ... + 16, each once";
  EXPECT_EQ(kafka.Records("signals").size(), signals) << "the rest of the history replayed silently";
  for (const auto& [p, text] : store.data().checkpoints) EXPECT_THAT(text, Not(HasSubstr("~"))) << p;
}

TEST_F(StatefulLoopTest, StateThatWentBackIsDetectedAtTheNextClaim) {
  Send("a", kT0, 1);
  Replica first(kafka, &store, &clock, 2);
  first.Step(3);
  const MemoryStateStore::Data snapshot = store.Snapshot();
  Send("a", kT0 + absl::Minutes(1), 2);
  first.Step(3);
  first.consumer->Close();
  store.Restore(snapshot);  // a failover to a replica that missed the last write
  Replica second(kafka, &store, &clock, 2);
  second.Step(2);
  EXPECT_TRUE(second.loop->lost());
  EXPECT_THAT(second.gate.reason(), HasSubstr("went back"));
}

TEST_F(StatefulLoopTest, StateThatWentBackUnderAnIdleOwnerIsDetected) {
  Send("a", kT0, 1);
  Replica r(kafka, &store, &clock, 2);
  r.Step(3);
  const MemoryStateStore::Data snapshot = store.Snapshot();
  Send("a", kT0 + absl::Minutes(1), 2);
  r.Step(3);
  store.Restore(snapshot);
  r.Step(2);
  EXPECT_TRUE(r.loop->lost());
}

TEST_F(StatefulLoopTest, UnusableRecordsAndStatesAreQuarantinedWhileOthersFlow) {
  Send("good", kT0, 1);
  kafka.Append({"events", "bad", "garbage", {}});
  Send("future", absl::FromUnixSeconds(4'102'444'800), 1);  // 2100-01-01
  // A key its producer put on the wrong partition.
  const int32_t wrong = 1 - kafka::PartitionForKey("misplaced", 2);
  kafka.Append({"events", "misplaced", absl::StrCat("misplaced|", absl::ToUnixMillis(kT0), "|1"), {}, wrong});
  Replica r(kafka, &store, &clock, 2);
  r.Step(6);
  Send("good", kT0 + absl::Minutes(1), 2);
  MemoryStateStore::Data data = store.Snapshot();
  data.states["corrupt"] = "\xff\xff not a state";
  store.Restore(data);
  Send("corrupt", kT0 + absl::Minutes(1), 5);
  r.Step(6);
  EXPECT_EQ(Sums()["good"], 3);
  EXPECT_EQ(Sums()["corrupt"], 5) << "restarted from a fresh state";
  const auto signals = kafka.Records("signals");
  const auto last = std::find_if(signals.rbegin(), signals.rend(), [](const auto& s) { return s.key == "corrupt"; });
  ASSERT_NE(last, signals.rend());
  EXPECT_EQ(*kafka::FindHeader(last->headers, "sequence"), absl::StrCat((absl::ToUnixSeconds(clock.Now()) << 32) + 1))
      << "numbered above anything the lost state published";
  std::multiset<std::string> reasons;
  for (const auto& q : kafka.Records("quarantine")) {
    v1::DeadLetter letter;
    ASSERT_TRUE(letter.ParseFromString(q.value));
    EXPECT_EQ(letter.service(), "counter");
    reasons.insert(v1::RejectReason_Name(letter.reason()));
  }
  EXPECT_EQ(reasons, (std::multiset<std::string>{"UNDECODABLE", "FUTURE_TIMESTAMP", "WRONG_PARTITION", "UNREADABLE_STATE"}));
  EXPECT_EQ(r.consumer->Lag(), 0);
}

TEST_F(StatefulLoopTest, SilenceIsTickedAtItsDueTimeWithAStableSignal) {
  Send("quiet", kT0, 1);
  Send("busy", kT0, 1);
  clock.Set(kT0 + absl::Hours(1));
  Replica r(kafka, &store, &clock, 2);
  r.Step(3);
  EXPECT_THAT(SignalIds(), SizeIs(2));
  // A day passes: nothing is due yet.
  clock.Set(kT0 + absl::Hours(24));
  Send("busy", kT0 + absl::Hours(24), 1);
  r.Step(3);
  EXPECT_THAT(SignalIds(), SizeIs(3));
  // Two days after its last event the quiet account is re-evaluated with no event.
  clock.Set(kT0 + absl::Hours(50));
  r.Step(3);
  EXPECT_EQ(SignalIds().count(absl::StrCat("quiet@quiet@", absl::ToUnixMillis(kT0 + kQuietAfter))), 1u);
  EXPECT_EQ(SignalIds().count(absl::StrCat("busy@quiet@", absl::ToUnixMillis(kT0 + absl::Hours(24) + kQuietAfter))), 0u);
  EXPECT_GT(r.metrics.due_accounts.Value(), 0);
  EXPECT_GT(r.metrics.ticks.Value(), 0);
}

TEST_F(StatefulLoopTest, AReplayedHistoryTicksAtTheSameTimesAsLivingIt) {
  // Replayed long after the fact: the clock is the events' own time, so the quiet
  // spell between the two events is found at its due time, before the second event;
  // once caught up, the clock is the wall clock and the account is quiet again.
  Send("a", kT0, 1);
  Send("a", kT0 + absl::Hours(72), 1);
  clock.Set(kT0 + absl::Hours(24 * 365));
  Replica r(kafka, &store, &clock, 2);
  r.Step(3);
  const auto signals = kafka.Records("signals");
  std::vector<std::string> values;
  for (const auto& s : signals) values.push_back(s.value);
  EXPECT_THAT(values, ElementsAre("sum:a:1", "quiet:a", "sum:a:2", "quiet:a"));
  EXPECT_EQ(SignalIds().count(absl::StrCat("a@quiet@", absl::ToUnixMillis(kT0 + kQuietAfter))), 1u);
}

TEST_F(StatefulLoopTest, LagReachesZeroPastTransactionMarkers) {
  auto upstream = kafka.NewProducer({{}, "upstream"});
  ASSERT_THAT(upstream->BeginTransaction(), testing::IsOk());
  for (int i = 0; i < 4; ++i) {
    ASSERT_THAT(upstream->Produce({"events", "a", absl::StrCat("a|", absl::ToUnixMillis(kT0), "|1"), {}}),
                testing::IsOk());
  }
  ASSERT_THAT(upstream->CommitTransaction(absl::Seconds(1)), testing::IsOk());
  Replica r(kafka, &store, &clock, 2);
  r.Step(6);
  const int32_t p = kafka::PartitionForKey("a", 2);
  EXPECT_EQ(kafka.EndOffset("events", p), 5);
  EXPECT_EQ(r.consumer->Lag(), 0);
  EXPECT_EQ(kafka.CommittedOffset("counter", "events", p), 5) << "the marker is committed past";
}

TEST_F(StatefulLoopTest, AWedgedLoopFailsLivenessAndRecovers) {
  Send("a", kT0, 1);
  HookedStore view(&store);
  Replica r(kafka, &view, &clock, 2);
  EXPECT_TRUE(r.liveness.Alive());
  std::atomic<bool> release{false};
  view.before_load = [&] {
    clock.Advance(absl::Minutes(5));  // the loop is stuck here meanwhile
    EXPECT_FALSE(r.liveness.Alive());
    release = true;
  };
  r.Step(3);
  EXPECT_TRUE(release);
  EXPECT_TRUE(r.liveness.Alive());
  EXPECT_EQ(Sums()["a"], 1);
}

}  // namespace
}  // namespace retention::stream
