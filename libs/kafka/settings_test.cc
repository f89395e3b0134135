#include "libs/kafka/settings.h"

#include <cstdlib>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/status/matchers.h"

namespace retention::kafka {
namespace {

using ::retention::testing::IsOk;
using ::retention::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

std::string TempFile(const std::string& name, const std::string& content) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  std::ofstream(path) << content;
  return path;
}

TEST(KafkaSettings, FileThenEnvironmentWithSecretsReadFromFiles) {
  const std::string secret = TempFile("password", "s3cret-pass\n");
  const std::string file = TempFile("client.properties",
                                    "# a SASL_SSL cluster\n"
                                    "security.protocol = SASL_SSL\n"
                                    "sasl.mechanisms=SCRAM-SHA-512\n"
                                    "sasl.password=${file:" + secret + "}\n");
  std::string ca = "RETENTION_KAFKA_SSL_CA_LOCATION=/etc/ca.pem";
  std::string protocol = "RETENTION_KAFKA_SECURITY_PROTOCOL=SSL";
  std::string brokers = "RETENTION_KAFKA_BROKERS=ignored:9092";
  std::string other = "PATH=/bin";
  char* env[] = {ca.data(), protocol.data(), brokers.data(), other.data(), nullptr};
  auto properties = LoadKafkaProperties(file, env);
  ASSERT_THAT(properties, IsOk());
  EXPECT_EQ((*properties)["sasl.password"], "s3cret-pass");
  EXPECT_EQ((*properties)["sasl.mechanisms"], "SCRAM-SHA-512");
  EXPECT_EQ((*properties)["ssl.ca.location"], "/etc/ca.pem");
  EXPECT_EQ((*properties)["security.protocol"], "SSL") << "the environment wins over the file";
  EXPECT_EQ(properties->count("brokers"), 0u) << "RETENTION_KAFKA_BROKERS is the flag, not a property";
}

TEST(KafkaSettings, ErrorsNameTheLineAndNeverTheValue) {
  const std::string file = TempFile("bad.properties", "security.protocol=SSL\nsasl.password hunter2\n");
  EXPECT_THAT(LoadKafkaProperties(file, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("bad.properties:2"), Not(HasSubstr("hunter2")))));
  const std::string missing = TempFile("missing.properties", "sasl.password=${file:/nonexistent/secret}\n");
  EXPECT_THAT(LoadKafkaProperties(missing, nullptr),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing.properties:1: sasl.password")));
  EXPECT_THAT(LoadKafkaProperties("/nonexistent.properties", nullptr), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace retention::kafka
