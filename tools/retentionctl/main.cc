// retentionctl: the suite from the command line. Run `retentionctl --help`, or
// `retentionctl COMMAND --help` for one command.
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/config/flags.h"
#include "tools/retentionctl/commands.h"

extern char** environ;

ABSL_FLAG(std::string, brokers, "", "Kafka bootstrap servers (default: $KAFKA_BROKERS, else 127.0.0.1:9092)");
ABSL_FLAG(std::string, kafka_properties, "",
          "File of librdkafka properties (e.g. for SASL_SSL); RETENTION_KAFKA_* variables set them too");
ABSL_FLAG(std::string, redis_addr, "", "rebuild, status: the services' Redis, host:port (default: $REDIS_ADDR, else 127.0.0.1:6379)");
ABSL_FLAG(std::string, redis_user, "", "rebuild, status: Redis ACL user");
ABSL_FLAG(std::string, redis_password_file, "", "rebuild, status: file holding the Redis password");
ABSL_FLAG(std::string, state_prefix, "",
          "rebuild, status: the service's Redis key prefix, if not its default (--state_prefix)");
ABSL_FLAG(std::vector<std::string>, inputs, {}, "status: the service's input topics, if not the default names");
ABSL_FLAG(std::string, file, "deploy/topics/topics.textproto", "topics apply: the topic definitions (TopicSet)");
ABSL_FLAG(int, partitions, 0, "topics apply: create every topic with this many partitions instead (a local stack)");
ABSL_FLAG(std::string, topic, "", "Topic (default per command: send -> retention.interactions.raw, "
                                  "tail -> retention.interactions.v1, dlq and replay -> retention.interactions.dlq)");
ABSL_FLAG(bool, json, false, "Print JSON lines instead of a table");
ABSL_FLAG(std::string, format, "json", "send: json (each line as written) or protobuf (encoded)");
ABSL_FLAG(std::string, content_type, "", "send, replay: content-type header to use instead of the record's");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(30), "How long to wait for Kafka or a service");
ABSL_FLAG(std::string, health_addr, "127.0.0.1:50052", "host:port of the HealthService");
ABSL_FLAG(std::string, churn_addr, "127.0.0.1:50053", "host:port of the ChurnRiskService");
ABSL_FLAG(std::string, reference_addr, "127.0.0.1:50054", "host:port of the ReferencePipelineService");
ABSL_FLAG(int, limit, 10, "risk, references: how many accounts to list");
ABSL_FLAG(std::string, type, "", "tail: raw, event, dead-letter, health, churn-risk or advocacy (default: from the topic name)");
ABSL_FLAG(std::string, to_topic, "retention.interactions.raw", "replay: the topic records go back to");
ABSL_FLAG(std::vector<std::string>, offsets, {}, "replay: dead letters by PARTITION:OFFSET, comma separated");
ABSL_FLAG(std::string, reason, "", "replay: every dead letter with this reason, e.g. DECODE_ERROR");
ABSL_FLAG(std::vector<std::string>, event_id, {}, "replay: dead letters of these event ids, comma separated");
ABSL_FLAG(bool, dry_run, false, "replay: list what would be replayed, send nothing");
ABSL_FLAG(absl::Duration, watch_for, absl::ZeroDuration(), "watch: stop after this long (0: until interrupted)");
ABSL_FLAG(std::string, min_tier, "", "watch risk: only signals at this tier or above (LOW, MEDIUM, HIGH, CRITICAL)");
ABSL_FLAG(std::string, industry, "", "references: the prospect's industry");
ABSL_FLAG(std::vector<std::string>, products, {}, "references: the prospect's products, comma separated");
ABSL_FLAG(std::string, region, "", "references: the prospect's region");
ABSL_FLAG(std::string, size, "", "references: the prospect's size band");
ABSL_FLAG(std::string, use_case, "", "references: the outcome the prospect wants, e.g. reduced-close-time");

namespace {

constexpr char kUsage[] = R"(retentionctl: the retention signals suite from the command line.

usage: retentionctl COMMAND [flags] [ARGS]      (retentionctl COMMAND --help for one)

commands:
  send FILE          publish the JSON events in FILE (one per line) to the raw topic
  tail               print a topic from its beginning to its end, decoded
  dlq                list the dead-letter topic with each record's reason, and counts
  replay             send chosen dead letters back to the raw topic once fixed
  health [ACCOUNT]   one account's health and why, or every account by score
  risk [ACCOUNT]     one account's churn risk and drivers, or the most revenue at risk
  references [ACCOUNT]
                     one account's advocacy profile, or the best reference candidates
  watch health|risk|advocacy
                     print signals as they are published
  topics apply       create the suite's topics and set their configuration (idempotent)
  status SERVICE     where each partition of a stateful service stands: applied, behind, due
  rebuild SERVICE    rebuild a service's state from the topics after Redis lost data)";

const std::map<std::string, std::string>& CommandHelp() {
  static const auto* help = new std::map<std::string, std::string>{
      {"send", "retentionctl send FILE [--format=json|protobuf] [--content_type=T] [--topic=T]\n"
               "  Publishes each non-empty line of FILE not starting with '#' (a JSON InteractionEvent,\n"
               "  protobuf's JSON mapping) keyed by its accountId, as JSON or encoded as protobuf."},
      {"tail", "retentionctl tail [--topic=T] [--type=...] [--json]\n"
               "  Prints the topic from its beginning to its end. Records are decoded by the topic's\n"
               "  name (raw, v1, dlq, health, churn-risk, advocacy) or --type."},
      {"dlq", "retentionctl dlq [--topic=T] [--json]\n"
              "  Lists the dead letters (reason, event id, where from, detail) and counts by reason."},
      {"replay", "retentionctl replay (--offsets=P:O,... | --reason=R | --event_id=ID,...) [--content_type=T]\n"
                 "                    [--to_topic=T] [--dry_run]\n"
                 "  Publishes the chosen dead letters' original bytes and headers back to the raw topic,\n"
                 "  once what refused them is fixed (e.g. a wrong content-type: --content_type=application/json).\n"
                 "  Ingest then reads them as any other record; ids already accepted stay duplicates."},
      {"health", "retentionctl health [ACCOUNT] [--health_addr=H:P] [--json]\n"
                 "  One account's score, band, stage, components and trends; or every account by score."},
      {"risk", "retentionctl risk [ACCOUNT] [--churn_addr=H:P] [--limit=N] [--json]\n"
               "  One account's churn risk and drivers; or the N accounts with the most revenue at risk."},
      {"references", "retentionctl references [ACCOUNT] [--reference_addr=H:P] [--json]\n"
                     "           [--industry=I] [--products=A,B] [--region=R] [--size=S] [--use_case=U] [--limit=N]\n"
                     "  One account's advocacy profile and eligibility; or the best candidates for a prospect,\n"
                     "  each with the reasons of its rank."},
      {"watch", "retentionctl watch health|risk|advocacy [--min_tier=HIGH] [--watch_for=60s] [--json]\n"
                "  Prints signals as the services publish them, until interrupted or --watch_for passes."},
      {"topics", "retentionctl topics apply [--file=deploy/topics/topics.textproto] [--partitions=N] [--dry_run]\n"
                 "  Creates the topics that are missing and sets each one's cleanup policy, retention and\n"
                 "  largest message; a second run changes nothing. A topic with another partition count is\n"
                 "  reported (exit 1) and left alone: repartitioning moves accounts between partitions."},
      {"status", "retentionctl status SERVICE [--redis_addr=H:P] [--state_prefix=P] [--inputs=T1,T2] [--json]\n"
                 "  Where each partition of a stateful service stands, from its Redis state: the owner's\n"
                 "  epoch, the partition's clock, the input offsets applied against the topics' ends\n"
                 "  (behind: records not applied yet) and the accounts due for re-evaluation now.\n"
                 "  SERVICE: health-score, churn-risk or reference-pipeline."},
      {"rebuild", "retentionctl rebuild SERVICE [--redis_addr=H:P] [--redis_user=U] [--redis_password_file=F]\n"
                  "                    [--state_prefix=P]\n"
                  "  After Redis lost data or went back (the service refuses to serve and says so): deletes\n"
                  "  the service's keys and asks its replicas to rebuild every account from the retained\n"
                  "  topics, without publishing signals again. SERVICE: health-score, churn-risk,\n"
                  "  reference-pipeline, or ingest (its de-duplication memory, from retention.interactions.v1)."},
  };
  return *help;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  // `retentionctl COMMAND --help`: that command's help, not every flag.
  if (argc >= 3 && CommandHelp().count(argv[1]) > 0) {
    for (int i = 2; i < argc; ++i) {
      if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
        std::cout << CommandHelp().at(argv[1]) << "\n";
        return 0;
      }
    }
  }
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2) {
    std::cerr << kUsage << "\n";
    return 2;
  }
  const std::string command = args[1];
  if (CommandHelp().count(command) == 0) {
    std::cerr << "retentionctl: unknown command '" << command << "'\n\n" << kUsage << "\n";
    return 2;
  }
  retention::ctl::Options options;
  std::string brokers = absl::GetFlag(FLAGS_brokers);
  if (brokers.empty()) {
    const char* env = std::getenv("KAFKA_BROKERS");
    brokers = env != nullptr ? env : "127.0.0.1:9092";
  }
  options.kafka.brokers = brokers;
  options.kafka.client_id = "retentionctl";
  if (auto properties = retention::kafka::LoadKafkaProperties(absl::GetFlag(FLAGS_kafka_properties), environ);
      properties.ok()) {
    options.kafka.properties = *std::move(properties);
  } else {
    std::cerr << "retentionctl: " << properties.status().message() << "\n";
    return 2;
  }
  std::string redis_addr = absl::GetFlag(FLAGS_redis_addr);
  if (redis_addr.empty()) {
    const char* env = std::getenv("REDIS_ADDR");
    redis_addr = env != nullptr ? env : "127.0.0.1:6379";
  }
  if (auto host_port = retention::config::ParseHostPort(redis_addr, "--redis_addr"); host_port.ok()) {
    options.redis.host = host_port->host;
    options.redis.port = host_port->port;
  } else {
    std::cerr << "retentionctl: " << host_port.status().message() << "\n";
    return 2;
  }
  options.redis.user = absl::GetFlag(FLAGS_redis_user);
  if (const std::string file = absl::GetFlag(FLAGS_redis_password_file); !file.empty()) {
    auto password = retention::kafka::ResolveSecret(absl::StrCat("${file:", file, "}"));
    if (!password.ok()) {
      std::cerr << "retentionctl: --redis_password_file: " << password.status().message() << "\n";
      return 2;
    }
    options.redis.password = *std::move(password);
  }
  options.topic = absl::GetFlag(FLAGS_topic);
  options.json = absl::GetFlag(FLAGS_json);
  options.format = absl::GetFlag(FLAGS_format);
  options.content_type = absl::GetFlag(FLAGS_content_type);
  options.timeout = absl::GetFlag(FLAGS_timeout);
  options.health_addr = absl::GetFlag(FLAGS_health_addr);
  options.churn_addr = absl::GetFlag(FLAGS_churn_addr);
  options.reference_addr = absl::GetFlag(FLAGS_reference_addr);
  options.limit = absl::GetFlag(FLAGS_limit);
  options.type = absl::GetFlag(FLAGS_type);
  options.to_topic = absl::GetFlag(FLAGS_to_topic);
  options.watch_for = absl::GetFlag(FLAGS_watch_for);
  options.min_tier = absl::GetFlag(FLAGS_min_tier);
  const std::string account = args.size() > 2 ? args[2] : "";

  absl::Status status;
  if (command == "send") {
    if (args.size() != 3) {
      std::cerr << "retentionctl send: expected one FILE of JSON lines\n" << CommandHelp().at("send") << "\n";
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
  } else if (command == "replay") {
    if (options.topic.empty()) options.topic = "retention.interactions.dlq";
    retention::ctl::ReplaySelection selection{absl::GetFlag(FLAGS_offsets), absl::GetFlag(FLAGS_reason),
                                              absl::GetFlag(FLAGS_event_id), absl::GetFlag(FLAGS_dry_run)};
    status = retention::ctl::Replay(options, selection, std::cout);
  } else if (command == "risk") {
    status = retention::ctl::Risk(options, account, std::cout);
  } else if (command == "health") {
    status = retention::ctl::Health(options, account, std::cout);
  } else if (command == "references") {
    retention::ctl::Criteria criteria{absl::GetFlag(FLAGS_industry), absl::GetFlag(FLAGS_region),
                                      absl::GetFlag(FLAGS_size), absl::GetFlag(FLAGS_use_case),
                                      absl::GetFlag(FLAGS_products)};
    status = retention::ctl::References(options, account, criteria, std::cout);
  } else if (command == "watch") {
    if (args.size() != 3) {
      std::cerr << "retentionctl watch: expected health, risk or advocacy\n" << CommandHelp().at("watch") << "\n";
      return 2;
    }
    status = retention::ctl::Watch(options, args[2], std::cout);
  } else if (command == "topics") {
    if (args.size() != 3 || std::string(args[2]) != "apply") {
      std::cerr << "retentionctl topics: expected apply\n" << CommandHelp().at("topics") << "\n";
      return 2;
    }
    status = retention::ctl::ApplyTopics(options, absl::GetFlag(FLAGS_file), absl::GetFlag(FLAGS_partitions),
                                         absl::GetFlag(FLAGS_dry_run), std::cout);
  } else if (command == "status") {
    if (args.size() != 3) {
      std::cerr << "retentionctl status: expected SERVICE\n" << CommandHelp().at("status") << "\n";
      return 2;
    }
    status = retention::ctl::Status(options, args[2], absl::GetFlag(FLAGS_state_prefix), absl::GetFlag(FLAGS_inputs),
                                    std::cout);
  } else if (command == "rebuild") {
    if (args.size() != 3) {
      std::cerr << "retentionctl rebuild: expected SERVICE\n" << CommandHelp().at("rebuild") << "\n";
      return 2;
    }
    status = retention::ctl::Rebuild(options, args[2], absl::GetFlag(FLAGS_state_prefix), std::cout);
  }
  if (!status.ok()) {
    std::cerr << "retentionctl " << command << ": " << status.message() << "\n";
    return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  return 0;
}
