#include "services/health-score/signal_hub.h"

#include "gtest/gtest.h"

namespace retention::health {
namespace {

TEST(Matches, EmptyFilterFieldsMatchAnything) {
  v1::AccountHealth h;
  h.set_band(v1::YELLOW);
  h.set_loyalty_stage(v1::LIKE);
  h.set_segment("enterprise");
  v1::HealthFilter f;
  EXPECT_TRUE(Matches(f, h));
  f.add_segments("default");
  EXPECT_FALSE(Matches(f, h));
  f.add_segments("enterprise");
  f.add_stages(v1::LIKE);
  EXPECT_TRUE(Matches(f, h));
}

}  // namespace
}  // namespace retention::health
