// retentionctl's commands: each takes its options and writes to a stream, so that
// main.cc only parses flags and picks one.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/kafka/settings.h"
#include "libs/redis/redis_client.h"

namespace retention::ctl {

struct Options {
  kafka::KafkaSettings kafka;  // brokers and properties (--kafka_properties, RETENTION_KAFKA_*)
  redis::RedisOptions redis;   // rebuild: the services' Redis
  std::string topic;
  bool json = false;             // JSON lines instead of a table
  std::string format = "json";   // send: json (as written) or protobuf (encoded)
  std::string content_type;      // send: overrides the content-type header
  absl::Duration timeout = absl::Seconds(30);
  std::string health_addr = "127.0.0.1:50052";  // health: the HealthService
  std::string churn_addr = "127.0.0.1:50053";   // risk: the ChurnRiskService
  int limit = 10;                                // risk, references: how many accounts
  std::string reference_addr = "127.0.0.1:50054";  // references: the ReferencePipelineService
  std::string type;                  // tail: the message type, when the topic name does not say
  std::string to_topic = "retention.interactions.raw";  // replay: where records go back to
  absl::Duration watch_for = absl::ZeroDuration();       // watch: how long (0: until interrupted)
  std::string min_tier;              // watch risk: e.g. HIGH
};

// Which dead letters to replay; a record matching any selector is chosen.
struct ReplaySelection {
  std::vector<std::string> offsets;  // "PARTITION:OFFSET" on the dead-letter topic
  std::string reason;                // e.g. DECODE_ERROR
  std::vector<std::string> event_ids;
  bool dry_run = false;
};

// What a prospect looks like, for references without an account.
struct Criteria {
  std::string industry, region, size, use_case;
  std::vector<std::string> products;
};

// send FILE: every non-empty line not starting with '#' is one JSON InteractionEvent
// (protobuf's JSON mapping), published keyed by its accountId.
absl::Status Send(const Options& options, const std::string& file, std::ostream& out);

// tail: prints the topic from its beginning to its end, decoded as JSON: the message
// type follows from the topic's name (raw, v1, dlq, health, churn-risk, advocacy) or
// options.type.
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

// replay: publishes the chosen dead letters' original bytes and headers (the
// content-type overridden by options.content_type, if set) back to options.to_topic,
// once whatever refused them is fixed. Ingest then reads them like any other record.
absl::Status Replay(const Options& options, const ReplaySelection& selection, std::ostream& out);

// references [ACCOUNT]: one account's advocacy profile and eligibility, or, without
// ACCOUNT, the best reference candidates for the criteria with the reasons of their rank.
absl::Status References(const Options& options, const std::string& account, const Criteria& criteria,
                        std::ostream& out);

// status SERVICE: where each partition of a stateful service stands, from what it
// stored: its owner's epoch, its clock, the offsets applied against the ends of its
// input topics (`inputs`; empty: the default topic names) and the accounts due now.
absl::Status Status(const Options& options, const std::string& service, const std::string& state_prefix,
                    std::vector<std::string> inputs, std::ostream& out);

// watch health|risk|advocacy: prints signals as the services publish them.
absl::Status Watch(const Options& options, const std::string& stream, std::ostream& out);

// topics apply FILE: creates the topics of a TopicSet (text format) that are missing
// and sets their configuration; reports a topic whose partition count differs (it is
// never changed: that would move accounts between partitions). Idempotent. With
// `partitions` > 0, that count replaces the file's (a local stack).
absl::Status ApplyTopics(const Options& options, const std::string& file, int partitions, bool dry_run,
                         std::ostream& out);

// rebuild SERVICE: asks a service's replicas to rebuild their state from the retained
// topics (after Redis lost data or went back): deletes its key space and leaves the
// request its replicas wait for. For ingest, the de-duplication memory is rebuilt from
// retention.interactions.v1 and nothing is deleted.
// `state_prefix` overrides the service's default key prefix (its --state_prefix).
absl::Status Rebuild(const Options& options, const std::string& service, const std::string& state_prefix,
                     std::ostream& out);

}  // namespace retention::ctl
