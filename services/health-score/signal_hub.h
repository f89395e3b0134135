// Which health signals a WatchHealth subscriber wants; the hub is libs/pipeline's.
#pragma once

#include "libs/pipeline/signal_hub.h"
#include "retention/v1/health.pb.h"

namespace retention::health {

using SignalHub = pipeline::SignalHub<v1::HealthSignal>;

bool Matches(const v1::HealthFilter& filter, const v1::AccountHealth& health);

}  // namespace retention::health
