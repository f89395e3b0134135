#include "libs/config/flags.h"

#include <cstdlib>

#include "absl/flags/flag.h"
#include "gtest/gtest.h"

ABSL_FLAG(int, test_batch_size, 100, "A flag for the test");

namespace retention::config {
namespace {

TEST(EnvVarFor, IsPrefixedUpperCase) { EXPECT_EQ(EnvVarFor("kafka_brokers"), "RETENTION_KAFKA_BROKERS"); }

TEST(ParseHostPort, AcceptsHostAndPort) {
  auto parsed = ParseHostPort("127.0.0.1:6379", "--redis_addr");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->host, "127.0.0.1");
  EXPECT_EQ(parsed->port, 6379);
}

TEST(ParseHostPort, NamesTheFlagWhenThePortIsBad) {
  for (const char* bad : {"localhost", "localhost:0", "localhost:70000", ":80", "h:x"}) {
    auto parsed = ParseHostPort(bad, "--redis_addr");
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(parsed.status().message().find("--redis_addr"), absl::string_view::npos);
  }
}

TEST(ParseFlags, EnvironmentOverridesDefaultAndCommandLineOverridesEnvironment) {
  setenv("RETENTION_TEST_BATCH_SIZE", "250", 1);
  char arg0[] = "prog";
  char* only_env[] = {arg0};
  ParseFlags(1, only_env, "test");
  EXPECT_EQ(absl::GetFlag(FLAGS_test_batch_size), 250);

  char flag[] = "--test_batch_size=7";
  char* both[] = {arg0, flag};
  ParseFlags(2, both, "test");
  EXPECT_EQ(absl::GetFlag(FLAGS_test_batch_size), 7);
  unsetenv("RETENTION_TEST_BATCH_SIZE");
}

TEST(ParseFlagsDeathTest, BadEnvironmentValueStopsWithTheVariableAndFlag) {
  setenv("RETENTION_TEST_BATCH_SIZE", "many", 1);
  char arg0[] = "prog";
  char* argv[] = {arg0};
  EXPECT_EXIT(ParseFlags(1, argv, "test"), testing::ExitedWithCode(2),
              "RETENTION_TEST_BATCH_SIZE=\"many\" \\(for --test_batch_size\\)");
  unsetenv("RETENTION_TEST_BATCH_SIZE");
}

}  // namespace
}  // namespace retention::config
