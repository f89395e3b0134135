#include "libs/kafka/record.h"

#include "gtest/gtest.h"

namespace retention::kafka {
namespace {

std::vector<ConsumedRecord> Batch() {
  std::vector<ConsumedRecord> records(4);
  records[0] = {"raw", 0, 7, "", "", {}, 0};
  records[1] = {"raw", 1, 3, "", "", {}, 0};
  records[2] = {"raw", 0, 9, "", "", {}, 0};
  records[3] = {"raw", 1, 4, "", "", {}, 0};
  return records;
}

TEST(NextOffsets, IsOnePastTheLastRecordOfEachPartition) {
  const auto next = NextOffsets(Batch());
  ASSERT_EQ(next.size(), 2u);
  EXPECT_EQ(next[0].partition, 0);
  EXPECT_EQ(next[0].offset, 10);
  EXPECT_EQ(next[1].partition, 1);
  EXPECT_EQ(next[1].offset, 5);
}

TEST(FirstOffsets, IsTheFirstRecordOfEachPartition) {
  const auto first = FirstOffsets(Batch());
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].offset, 7);
  EXPECT_EQ(first[1].offset, 3);
}

TEST(FindHeader, ReturnsTheLastValueOrNull) {
  std::vector<Header> headers = {{"content-type", "a"}, {"x", "1"}, {"content-type", "b"}};
  ASSERT_NE(FindHeader(headers, "content-type"), nullptr);
  EXPECT_EQ(*FindHeader(headers, "content-type"), "b");
  EXPECT_EQ(FindHeader(headers, "missing"), nullptr);
}

}  // namespace
}  // namespace retention::kafka
