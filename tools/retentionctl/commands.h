// retentionctl's commands: each takes its options and writes to a stream, so that
// main.cc only parses flags and picks one.
#pragma once

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace retention::ctl {

struct Options {
  std::string brokers;
  std::string topic;
  bool json = false;             // JSON lines instead of a table
  std::string format = "json";   // send: json (as written) or protobuf (encoded)
  std::string content_type;      // send: overrides the content-type header
  absl::Duration timeout = absl::Seconds(30);
  std::string health_addr = "127.0.0.1:50052";  // health: the HealthService
  std::string churn_addr = "127.0.0.1:50053";   // risk: the ChurnRiskService
  int limit = 10;                                // risk: how many accounts
};

// send FILE: every non-empty line not starting with '#' is one JSON InteractionEvent
// (protobuf's JSON mapping), published keyed by its accountId.
absl::Status Send(const Options& options, const std::string& file, std::ostream& out);

// tail: prints the topic from its beginning to its end, decoded as JSON.
absl::Status Tail(const Options& options, std::ostream& out);

// dlq: the dead-letter topic: one row per record (reason, detail, event id, where it
// came from) and the count per reason.
absl::Status DeadLetters(const Options& options, std::ostream& out);

// health [ACCOUNT]: one account's health with its explanation, or, without ACCOUNT,
// every account by score (most at risk first).
absl::Status Health(const Options& options, const std::string& account, std::ostream& out);

// risk [ACCOUNT]: one account's churn risk and drivers, or the accounts with the most
// revenue at risk.
absl::Status Risk(const Options& options, const std::string& account, std::ostream& out);

}  // namespace retention::ctl
