// Runs the ingest binary against the real Kafka and Redis on topics of its own.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/kafka/record.h"
#include "retention/v1/interaction_event.pb.h"
#include "tests/support/env.h"
#include "tests/support/kafka_io.h"
#include "tests/support/process.h"

namespace retention::testing {

class IngestHarness {
 public:
  explicit IngestHarness(std::string kafka_brokers = KafkaBrokers(), std::string redis_addr = RedisAddr())
      : brokers(std::move(kafka_brokers)),
        redis(std::move(redis_addr)),
        raw(UniqueName("raw")),
        v1(UniqueName("v1")),
        dlq(UniqueName("dlq")),
        group(UniqueName("ingest-group")),
        instance(UniqueName("ingest")) {
    CreateTopics({raw, v1, dlq}, 3, brokers);
  }

  std::vector<std::string> Flags(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> flags = {
        "--kafka_brokers=" + brokers,        "--redis_addr=" + redis,
        "--raw_topic=" + raw,                "--v1_topic=" + v1,
        "--dlq_topic=" + dlq,                "--group_id=" + group,
        "--instance_id=" + instance,         absl::StrCat("--grpc_port=", grpc_port),
        absl::StrCat("--metrics_port=", metrics_port)};
    flags.insert(flags.end(), extra.begin(), extra.end());
    return flags;
  }

  // Starts ingest and waits until it is ready.
  std::unique_ptr<Process> Start(const std::vector<std::string>& extra = {}) {
    auto process = std::make_unique<Process>(Runfile("services/ingest/ingest"), Flags(extra), log_path);
    EXPECT_TRUE(process->WaitForLog("ingest ready", absl::Seconds(60))) << process->Log();
    return process;
  }

  std::string Metrics() { return HttpGet(metrics_port, "/metrics"); }

  // An event id unique to this harness: Redis remembers ids across runs.
  std::string Id(const std::string& name) const { return absl::StrCat(instance, "-", name); }

  const std::string brokers, redis;
  const std::string raw, v1, dlq, group, instance;
  const int grpc_port = FreePort();
  const int metrics_port = FreePort();
  const std::string log_path = absl::StrCat(std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp",
                                            "/", instance, ".log");
};

inline v1::InteractionEvent UsageEvent(const std::string& id, const std::string& account, int active_users = 5) {
  v1::InteractionEvent e;
  e.set_event_id(id);
  e.set_account_id(account);
  e.set_source("test");
  e.mutable_occurred_at()->set_seconds(1'790'000'000);
  e.mutable_product_usage()->set_active_users(active_users);
  e.mutable_product_usage()->set_licensed_seats(10);
  return e;
}

inline kafka::OutgoingRecord AsProtobuf(const v1::InteractionEvent& e) {
  return {"", e.account_id(), e.SerializeAsString(), {{"content-type", "application/x-protobuf"}}};
}

inline kafka::OutgoingRecord AsJson(const std::string& key, const std::string& json) {
  return {"", key, json, {{"content-type", "application/json"}}};
}

}  // namespace retention::testing
