// A bad flag, a bad environment value or an unreachable server stops ingest at start-up
// with a message that says what and where, and a non-zero exit.
#include <cstdlib>

#include "gtest/gtest.h"
#include "tests/integration/ingest_harness.h"

namespace retention::testing {
namespace {

struct Outcome {
  int exit_code;
  std::string log;
};

Outcome RunIngest(const std::vector<std::string>& flags) {
  const std::string log = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", UniqueName("startup"), ".log");
  Process p(Runfile("services/ingest/ingest"), flags, log);
  const int code = p.Wait(absl::Seconds(60));
  return {code, p.Log()};
}

TEST(IngestStartup, UnknownFlagIsNamed) {
  const Outcome o = RunIngest({"--bogus_flag=1"});
  EXPECT_NE(o.exit_code, 0);
  EXPECT_NE(o.log.find("bogus_flag"), std::string::npos) << o.log;
}

TEST(IngestStartup, UnparsableFlagValueIsNamed) {
  const Outcome o = RunIngest({"--max_batch=lots"});
  EXPECT_NE(o.exit_code, 0);
  EXPECT_NE(o.log.find("max_batch"), std::string::npos) << o.log;
}

TEST(IngestStartup, OutOfRangeSettingIsAConfigurationError) {
  const Outcome o = RunIngest({"--max_event_bytes=0"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.log.find("configuration error: --max_event_bytes=0"), std::string::npos) << o.log;
}

TEST(IngestStartup, BadRedisAddressIsAConfigurationError) {
  const Outcome o = RunIngest({"--redis_addr=localhost"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.log.find("--redis_addr=\"localhost\""), std::string::npos) << o.log;
}

TEST(IngestStartup, BadEnvironmentValueNamesTheVariable) {
  setenv("RETENTION_POLL_WAIT", "soon", 1);
  const Outcome o = RunIngest({});
  unsetenv("RETENTION_POLL_WAIT");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.log.find("RETENTION_POLL_WAIT=\"soon\" (for --poll_wait)"), std::string::npos) << o.log;
}

TEST(IngestStartup, UnreachableBrokerStopsWithAClearMessage) {
  const std::string nowhere = absl::StrCat("127.0.0.1:", FreePort());
  const Outcome o = RunIngest({"--kafka_brokers=" + nowhere, "--redis_addr=" + RedisAddr(),
                               "--startup_timeout=3s", absl::StrCat("--grpc_port=", FreePort()),
                               absl::StrCat("--metrics_port=", FreePort())});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.log.find("cannot start: Kafka brokers " + nowhere + " unreachable"), std::string::npos) << o.log;
}

TEST(IngestStartup, UnreachableRedisStopsWithAClearMessage) {
  const std::string nowhere = absl::StrCat("127.0.0.1:", FreePort());
  const Outcome o = RunIngest({"--kafka_brokers=" + KafkaBrokers(), "--redis_addr=" + nowhere,
                               "--startup_timeout=2s", absl::StrCat("--grpc_port=", FreePort()),
                               absl::StrCat("--metrics_port=", FreePort())});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.log.find("cannot start: cannot connect to redis " + nowhere), std::string::npos) << o.log;
}

}  // namespace
}  // namespace retention::testing
