// retentionctl: the suite from the command line. Run `retentionctl --help`.
#include <cstdlib>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "tools/retentionctl/commands.h"

ABSL_FLAG(std::string, brokers, "", "Kafka bootstrap servers (default: $KAFKA_BROKERS, else 127.0.0.1:9092)");
ABSL_FLAG(std::string, topic, "", "Topic (default per command: send -> retention.interactions.raw, "
                                  "tail -> retention.interactions.v1, dlq -> retention.interactions.dlq)");
ABSL_FLAG(bool, json, false, "Print JSON lines instead of a table");
ABSL_FLAG(std::string, format, "json", "send: json (each line as written) or protobuf (encoded)");
ABSL_FLAG(std::string, content_type, "", "send: content-type header to use instead of the format's");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(30), "How long to wait for Kafka or a service");
ABSL_FLAG(std::string, health_addr, "127.0.0.1:50052", "health: host:port of the HealthService");
ABSL_FLAG(std::string, churn_addr, "127.0.0.1:50053", "risk: host:port of the ChurnRiskService");
ABSL_FLAG(int, limit, 10, "risk: how many accounts to list");

namespace {

constexpr char kUsage[] = R"(retentionctl: the retention signals suite from the command line.

usage: retentionctl COMMAND [flags] [ARGS]

commands:
  send FILE   publish the JSON events in FILE (one per line) to the raw topic
  tail        print a topic from its beginning to its end, decoded
  dlq         list the dead-letter topic with each record's reason, and counts
  health [ACCOUNT]
              one account's health and why, or every account by score
  risk [ACCOUNT]
              one account's churn risk and drivers, or the most revenue at risk

flags: --brokers, --topic, --json, --format, --content_type, --timeout, --health_addr,
--churn_addr, --limit
(see --helpfull))";

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2) {
    std::cerr << kUsage << "\n";
    return 2;
  }
  const std::string command = args[1];
  retention::ctl::Options options;
  options.brokers = absl::GetFlag(FLAGS_brokers);
  if (options.brokers.empty()) {
    const char* env = std::getenv("KAFKA_BROKERS");
    options.brokers = env != nullptr ? env : "127.0.0.1:9092";
  }
  options.topic = absl::GetFlag(FLAGS_topic);
  options.json = absl::GetFlag(FLAGS_json);
  options.format = absl::GetFlag(FLAGS_format);
  options.content_type = absl::GetFlag(FLAGS_content_type);
  options.timeout = absl::GetFlag(FLAGS_timeout);
  options.health_addr = absl::GetFlag(FLAGS_health_addr);
  options.churn_addr = absl::GetFlag(FLAGS_churn_addr);
  options.limit = absl::GetFlag(FLAGS_limit);

  absl::Status status;
  if (command == "send") {
    if (args.size() != 3) {
      std::cerr << "retentionctl send: expected one FILE of JSON lines\n";
      return 2;
    }
    if (options.topic.empty()) options.topic = "retention.interactions.raw";
    status = retention::ctl::Send(options, args[2], std::cout);
  } else if (command == "tail") {
    if (options.topic.empty()) options.topic = "retention.interactions.v1";
    status = retention::ctl::Tail(options, std::cout);
  } else if (command == "dlq") {
    if (options.topic.empty()) options.topic = "retention.interactions.dlq";
    status = retention::ctl::DeadLetters(options, std::cout);
  } else if (command == "risk") {
    status = retention::ctl::Risk(options, args.size() > 2 ? args[2] : "", std::cout);
  } else if (command == "health") {
    status = retention::ctl::Health(options, args.size() > 2 ? args[2] : "", std::cout);
  } else {
    std::cerr << "retentionctl: unknown command '" << command << "'\n\n" << kUsage << "\n";
    return 2;
  }
  if (!status.ok()) {
    std::cerr << "retentionctl " << command << ": " << status.message() << "\n";
    return 1;
  }
  return 0;
}
