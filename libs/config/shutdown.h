// The stop flag every service's main loop watches: set by SIGTERM or SIGINT.
#pragma once

#include <atomic>

namespace retention::config {

// Installs the handlers (once) and returns the flag they set.
const std::atomic<bool>& StopOnSignals();

}  // namespace retention::config
