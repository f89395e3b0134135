// The Redis state store against the real Redis: writes are all or nothing, a retried
// write applies once, a replica that lost its partition is fenced, and state that went
// missing or backwards is reported, not served.
#include "libs/stream/redis_state_store.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/config/flags.h"
#include "libs/status/matchers.h"
#include "tests/support/env.h"

namespace retention::testing {
namespace {

using stream::BatchWrite;
using stream::Checkpoint;
using stream::WriteOutcome;

redis::RedisOptions Options() {
  auto addr = config::ParseHostPort(RedisAddr(), "REDIS_ADDR");
  EXPECT_TRUE(addr.ok());
  redis::RedisOptions options;
  options.host = addr->host;
  options.port = addr->port;
  return options;
}

Checkpoint At(int64_t sequence, int64_t offset) {
  Checkpoint c;
  c.sequence = sequence;
  c.clock = absl::FromUnixSeconds(1'790'000'000 + sequence);
  c.offsets["v1"] = offset;
  return c;
}

BatchWrite Write(int64_t epoch, std::optional<Checkpoint> from, Checkpoint to, const std::string& account,
                 const std::string& state) {
  BatchWrite w;
  w.partitions.push_back({0, epoch, std::move(from), std::move(to)});
  stream::AccountWrite a;
  a.account = account;
  a.state = state;
  a.next_due = absl::FromUnixSeconds(1'790'086'400);
  a.index.summary = "summary of " + state;
  a.index.rankings["by_score"] = static_cast<double>(state.size());
  w.accounts.push_back(a);
  w.counters.push_back({"segment|2026-11", "outcomes", 1});
  return w;
}

class StateStoreTest : public ::testing::Test {
 protected:
  StateStoreTest() : redis_(Options()), prefix_(UniqueName("store")), store_(&redis_, prefix_, {"by_score"}) {}
  redis::RedisClient redis_;
  std::string prefix_;
  stream::RedisStateStore store_;
};

TEST_F(StateStoreTest, ClaimWriteAndARetryThatAlreadyAppliedCountsOnce) {
  auto claim = store_.Claim({0});
  ASSERT_THAT(claim, IsOk());
  ASSERT_EQ(claim->size(), 1u);
  EXPECT_FALSE((*claim)[0].checkpoint.has_value()) << "new";
  const int64_t epoch = (*claim)[0].epoch;
  const BatchWrite first = Write(epoch, std::nullopt, At(1, 10), "a", "state-1");
  ASSERT_EQ(store_.Write(first)->outcome, WriteOutcome::kApplied);
  // The reply was lost and the write is sent again: recognised, not applied twice.
  ASSERT_EQ(store_.Write(first)->outcome, WriteOutcome::kAlreadyApplied);
  auto loaded = store_.Load({"a", "b"});
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(*loaded, (std::map<std::string, std::string>{{"a", "state-1"}}));
  redis::RedisPool pool(Options(), 2);
  stream::AccountReader reader(&pool, prefix_);
  auto counters = reader.Counters();
  ASSERT_THAT(counters, IsOk());
  EXPECT_EQ((*counters)["segment|2026-11"]["outcomes"], 1);
  EXPECT_EQ(*reader.Ranked("by_score", true, 0, 10), std::vector<std::string>{"a"});
  EXPECT_EQ(*reader.Summaries({"a"}), std::vector<std::string>{"summary of state-1"});
  EXPECT_EQ(*store_.Due(0, absl::FromUnixSeconds(1'790'086'400), 10), std::vector<std::string>{"a"});
  EXPECT_TRUE(store_.Due(0, absl::FromUnixSeconds(1'790'086'399), 10)->empty());
  // The next claim sees the checkpoint.
  auto again = store_.Claim({0});
  ASSERT_TRUE((*again)[0].checkpoint.has_value());
  EXPECT_EQ((*again)[0].checkpoint->Encode(), At(1, 10).Encode());
}

TEST_F(StateStoreTest, AReplicaThatLostThePartitionIsFenced) {
  const int64_t old_epoch = (*store_.Claim({0}))[0].epoch;
  ASSERT_EQ(store_.Write(Write(old_epoch, std::nullopt, At(1, 10), "a", "mine"))->outcome, WriteOutcome::kApplied);
  const int64_t new_epoch = (*store_.Claim({0}))[0].epoch;  // another replica takes the partition
  const auto zombie = store_.Write(Write(old_epoch, At(1, 10), At(2, 20), "a", "stale"));
  ASSERT_THAT(zombie, IsOk());
  EXPECT_EQ(zombie->outcome, WriteOutcome::kFenced);
  EXPECT_EQ(zombie->partition, 0);
  EXPECT_EQ((*store_.Load({"a"}))["a"], "mine") << "refused, not applied";
  EXPECT_EQ(store_.Write(Write(new_epoch, At(1, 10), At(2, 20), "a", "new owner"))->outcome, WriteOutcome::kApplied);
  EXPECT_EQ(store_.Verify({{0, old_epoch, At(2, 20), {}}})->outcome, WriteOutcome::kFenced);
}

TEST_F(StateStoreTest, StateThatWentMissingOrBackwardsIsReportedLost) {
  const int64_t epoch = (*store_.Claim({0}))[0].epoch;
  ASSERT_EQ(store_.Write(Write(epoch, std::nullopt, At(1, 10), "a", "s1"))->outcome, WriteOutcome::kApplied);
  ASSERT_EQ(store_.Write(Write(epoch, At(1, 10), At(2, 20), "a", "s2"))->outcome, WriteOutcome::kApplied);
  // Went backwards: the stored checkpoint is older than the owner's last write.
  ASSERT_THAT(redis_.Pipeline({{"SET", absl::StrCat(prefix_, ":ckpt:0"), At(1, 10).Encode()}}), IsOk());
  EXPECT_EQ(store_.Write(Write(epoch, At(2, 20), At(3, 30), "a", "s3"))->outcome, WriteOutcome::kLost);
  EXPECT_EQ(store_.Verify({{0, epoch, At(2, 20), {}}})->outcome, WriteOutcome::kLost);
  // Went missing: everything of the service deleted, as after FLUSHALL.
  auto deleted = stream::RequestRebuild(redis_, prefix_, absl::Now());
  ASSERT_THAT(deleted, IsOk());
  EXPECT_GT(*deleted, 3);
  EXPECT_EQ(store_.Verify({{0, epoch, At(2, 20), {}}})->outcome, WriteOutcome::kLost);
  EXPECT_FALSE(store_.Meta()->rebuild_requested.empty());
}

}  // namespace
}  // namespace retention::testing
