#include "libs/log/log.h"

#include <string>

#include "gtest/gtest.h"

namespace retention::logging {
namespace {

TEST(AppendJsonString, EscapesQuotesControlCharactersAndBackslashes) {
  std::string out;
  AppendJsonString(&out, "a\"b\\c\nd\x01");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\nd\\u0001\"");
}

TEST(ParseLevel, AcceptsKnownNamesOnly) {
  Level level = Level::kInfo;
  EXPECT_TRUE(ParseLevel("warn", &level));
  EXPECT_EQ(level, Level::kWarn);
  EXPECT_FALSE(ParseLevel("verbose", &level));
  EXPECT_EQ(level, Level::kWarn);
}

TEST(Line, WritesOneJsonObjectWithFields) {
  testing::internal::CaptureStderr();
  LOG_INFO("started").Field("port", 8080).Field("topic", "retention.interactions.v1");
  const std::string line = testing::internal::GetCapturedStderr();
  EXPECT_NE(line.find("\"level\":\"info\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"at\":\"log_test.cc:"), std::string::npos) << line;
  EXPECT_NE(line.find("\"msg\":\"started\",\"port\":8080,\"topic\":\"retention.interactions.v1\"}"),
            std::string::npos)
      << line;
  EXPECT_EQ(line.back(), '\n');
}

TEST(Line, DropsLinesBelowTheMinimumLevel) {
  SetMinLevel(Level::kWarn);
  testing::internal::CaptureStderr();
  LOG_INFO("quiet");
  LOG_ERROR("loud");
  const std::string out = testing::internal::GetCapturedStderr();
  SetMinLevel(Level::kInfo);
  EXPECT_EQ(out.find("quiet"), std::string::npos);
  EXPECT_NE(out.find("loud"), std::string::npos);
}

}  // namespace
}  // namespace retention::logging
