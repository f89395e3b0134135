// The Redis client against a real Redis: pipelining, MULTI/EXEC, error replies, and
// reconnecting after the server goes away and comes back.
#include "libs/redis/redis_client.h"

#include "gtest/gtest.h"
#include "libs/config/flags.h"
#include "tests/support/env.h"
#include "tests/support/servers.h"

namespace retention::testing {
namespace {

redis::RedisOptions OptionsFor(const std::string& addr) {
  auto hp = config::ParseHostPort(addr, "REDIS_ADDR");
  EXPECT_TRUE(hp.ok()) << hp.status();
  redis::RedisOptions options;
  options.host = hp->host;
  options.port = hp->port;
  options.min_backoff = absl::Milliseconds(50);
  return options;
}

TEST(RedisClient, PipelineAnswersEachCommandInOrder) {
  redis::RedisClient client(OptionsFor(RedisAddr()));
  const std::string key = UniqueName("pipe");
  auto replies = client.Pipeline({{"SET", key, "v1"}, {"GET", key}, {"INCR", key + ":n"}, {"GET", key + ":missing"}});
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 4u);
  EXPECT_EQ((*replies)[0].str, "OK");
  EXPECT_EQ((*replies)[1].str, "v1");
  EXPECT_EQ((*replies)[2].integer, 1);
  EXPECT_TRUE((*replies)[3].is_nil());
}

TEST(RedisClient, CommandBatchCarriesBinaryValues) {
  redis::RedisClient client(OptionsFor(RedisAddr()));
  const std::string key = UniqueName("bin");
  const std::string value("a\r\nb\0c", 6);
  redis::CommandBatch batch;
  batch.Add({"SET", key, value});
  batch.Add({"GET", key});
  auto replies = client.Pipeline(batch);
  ASSERT_TRUE(replies.ok()) << replies.status();
  EXPECT_EQ((*replies)[1].str, value);
}

TEST(RedisClient, ErrorReplyIsAReplyNotAFailedCall) {
  redis::RedisClient client(OptionsFor(RedisAddr()));
  const std::string key = UniqueName("err");
  auto replies = client.Pipeline({{"SET", key, "text"}, {"INCR", key}, {"GET", key}});
  ASSERT_TRUE(replies.ok());
  EXPECT_TRUE((*replies)[1].is_error());
  EXPECT_EQ((*replies)[2].str, "text");
}

TEST(RedisClient, TransactionAppliesAllOrNothing) {
  redis::RedisClient client(OptionsFor(RedisAddr()));
  const std::string key = UniqueName("txn");
  auto applied = client.Transaction({{"SET", key + ":a", "1"}, {"SET", key + ":b", "2"}});
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(applied->size(), 2u);
  // A command refused while queueing (wrong arity) aborts the whole transaction.
  auto refused = client.Transaction({{"SET", key + ":c", "3"}, {"SET", key + ":d"}});
  EXPECT_FALSE(refused.ok());
  auto after = client.Pipeline({{"EXISTS", key + ":a"}, {"EXISTS", key + ":c"}});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ((*after)[0].integer, 1);
  EXPECT_EQ((*after)[1].integer, 0) << "nothing of the refused transaction applied";
}

TEST(RedisClient, ReconnectsWithBackoffAfterTheServerComesBack) {
  RedisServer server;
  redis::RedisClient client(OptionsFor(server.addr()));
  ASSERT_TRUE(client.Pipeline({{"PING"}}).ok());
  server.Kill();
  auto down = client.Pipeline({{"PING"}});
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(client.connected());
  server.Start();
  EXPECT_TRUE(WaitFor([&] { return client.Pipeline({{"PING"}}).ok(); }, absl::Seconds(20)));
}

}  // namespace
}  // namespace retention::testing
