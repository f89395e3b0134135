#include "services/health-score/signal_hub.h"

#include <algorithm>

namespace retention::health {
namespace {

template <typename List, typename Value>
bool AnyOrContains(const List& list, const Value& value) {
  return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

bool Matches(const v1::HealthFilter& filter, const v1::AccountHealth& health) {
  return AnyOrContains(filter.bands(), health.band()) && AnyOrContains(filter.stages(), health.loyalty_stage()) &&
         AnyOrContains(filter.segments(), health.segment());
}

}  // namespace retention::health
