#include "libs/config/shutdown.h"

#include <csignal>

namespace retention::config {
namespace {

std::atomic<bool> stop_requested{false};

void OnSignal(int) { stop_requested = true; }

}  // namespace

const std::atomic<bool>& StopOnSignals() {
  static const bool installed = [] {
    std::signal(SIGTERM, OnSignal);
    std::signal(SIGINT, OnSignal);
    return true;
  }();
  (void)installed;
  return stop_requested;
}

}  // namespace retention::config
