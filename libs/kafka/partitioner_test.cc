#include "libs/kafka/partitioner.h"

#include "gtest/gtest.h"

namespace retention::kafka {
namespace {

// Values of the Java client's Utils.murmur2, from its own unit tests.
TEST(Partitioner, Murmur2MatchesTheJavaClient) {
  EXPECT_EQ(Murmur2("21"), -973932308);
  EXPECT_EQ(Murmur2("foobar"), -790332482);
  EXPECT_EQ(Murmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(Murmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(Murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(Murmur2("abc"), 479470107);
}

TEST(Partitioner, PartitionIsPositiveAndStable) {
  for (int32_t n : {1, 3, 12}) {
    for (const char* key : {"acct-0000001", "acct-0000002", "", "x"}) {
      const int32_t p = PartitionForKey(key, n);
      EXPECT_GE(p, 0);
      EXPECT_LT(p, n);
      EXPECT_EQ(p, PartitionForKey(key, n));
    }
  }
}

}  // namespace
}  // namespace retention::kafka
