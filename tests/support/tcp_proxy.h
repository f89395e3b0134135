// A TCP forwarder for tests: clients connect to its port and are relayed to a target
// port on 127.0.0.1, which can be switched, as a managed endpoint or Sentinel-aware
// address moves to a new primary after a failover.
#pragma once

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace retention::testing {

class TcpProxy {
 public:
  explicit TcpProxy(int target_port);
  ~TcpProxy();

  int port() const { return port_; }
  // New connections go to `target_port`; open ones are cut, as a failover cuts them.
  void SwitchTo(int target_port);

 private:
  void Accept();
  void Relay(int client, int target);

  int port_ = 0;
  int listener_ = -1;
  std::atomic<int> target_port_;
  std::atomic<bool> stop_{false};
  absl::Mutex mu_;
  std::vector<int> open_ ABSL_GUARDED_BY(mu_);  // sockets of live relays
  std::vector<std::thread> relays_ ABSL_GUARDED_BY(mu_);
  std::thread acceptor_;
};

}  // namespace retention::testing
