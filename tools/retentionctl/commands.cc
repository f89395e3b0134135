#include "tools/retentionctl/commands.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <fstream>
#include <map>
#include <set>

#include "absl/strings/str_join.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "libs/config/textproto.h"
#include "libs/kafka/admin.h"
#include "libs/kafka/kafka_producer.h"
#include "libs/kafka/topic_reader.h"
#include "libs/status/status_macros.h"
#include "libs/stream/redis_state_store.h"
#include "retention/v1/topics.pb.h"
#include "retention/v1/advocacy.grpc.pb.h"
#include "retention/v1/churn_risk.grpc.pb.h"
#include "retention/v1/dead_letter.pb.h"
#include "retention/v1/health.grpc.pb.h"
#include "retention/v1/interaction_event.pb.h"

namespace retention::ctl {
namespace {

std::string ToJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = false;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

std::string Printable(const std::string& bytes, size_t max) {
  std::string out;
  for (char c : bytes.substr(0, max)) out.push_back(c >= 0x20 && c < 0x7f ? c : '.');
  if (bytes.size() > max) absl::StrAppend(&out, "...(", bytes.size(), " bytes)");
  return out;
}

}  // namespace

absl::Status Send(const Options& options, const std::string& file, std::ostream& out) {
  std::ifstream in(file);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", file));
  if (options.format != "json" && options.format != "protobuf") {
    return absl::InvalidArgumentError(absl::StrCat("--format=", options.format, ": expected json or protobuf"));
  }
  std::vector<kafka::OutgoingRecord> records;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || absl::StartsWith(text, "#")) continue;
    kafka::OutgoingRecord record;
    record.topic = options.topic;
    v1::InteractionEvent event;
    const bool parsed = google::protobuf::util::JsonStringToMessage(std::string(text), &event).ok();
    record.key = event.account_id();
    if (options.format == "protobuf") {
      if (!parsed) {
        return absl::InvalidArgumentError(
            absl::StrCat(file, ":", number, ": not a JSON InteractionEvent, so it cannot be encoded as protobuf"));
      }
      event.SerializeToString(&record.value);
      record.headers = {{"content-type", "application/x-protobuf"}};
    } else {
      record.value = std::string(text);
      record.headers = {{"content-type", "application/json"}};
    }
    if (!options.content_type.empty()) record.headers = {{"content-type", options.content_type}};
    records.push_back(std::move(record));
  }
  kafka::ProducerOptions producer_options;
  producer_options.kafka = options.kafka;
  auto producer = kafka::KafkaProducer::Create(producer_options, options.timeout);
  if (!producer.ok()) return producer.status();
  if (auto s = (*producer)->ProduceAndWait(records, options.timeout); !s.ok()) return s;
  out << "sent " << records.size() << " records to " << options.topic << " (" << options.format << ")\n";
  return absl::OkStatus();
}

namespace {

// The message type of a topic's records, from options.type or the topic's name.
absl::StatusOr<std::unique_ptr<google::protobuf::Message>> MessageFor(const Options& options) {
  std::string type = options.type;
  if (type.empty()) {
    const std::string& t = options.topic;
    type = absl::StrContains(t, "dlq")        ? "dead-letter"
           : absl::StrContains(t, "health")   ? "health"
           : absl::StrContains(t, "churn")    ? "churn-risk"
           : absl::StrContains(t, "advocacy") ? "advocacy"
           : absl::StrContains(t, "raw")      ? "raw"
                                              : "event";
  }
  if (type == "raw") return std::unique_ptr<google::protobuf::Message>();
  if (type == "event") return std::unique_ptr<google::protobuf::Message>(new v1::InteractionEvent);
  if (type == "dead-letter") return std::unique_ptr<google::protobuf::Message>(new v1::DeadLetter);
  if (type == "health") return std::unique_ptr<google::protobuf::Message>(new v1::HealthSignal);
  if (type == "churn-risk") return std::unique_ptr<google::protobuf::Message>(new v1::ChurnRiskSignal);
  if (type == "advocacy") return std::unique_ptr<google::protobuf::Message>(new v1::AdvocacySignal);
  return absl::InvalidArgumentError(
      absl::StrCat("--type=", type, ": expected raw, event, dead-letter, health, churn-risk or advocacy"));
}

}  // namespace

absl::Status Tail(const Options& options, std::ostream& out) {
  auto message = MessageFor(options);
  if (!message.ok()) return message.status();
  auto records = kafka::ReadTopicToEnd(options.kafka, options.topic, 0, options.timeout);
  if (!records.ok()) return records.status();
  for (const kafka::ConsumedRecord& r : *records) {
    // Raw records are shown as sent (JSON is printed as is); the rest decoded.
    const bool decoded = *message != nullptr && (*message)->ParseFromString(r.value);
    const std::string text = decoded ? ToJson(**message) : Printable(r.value, options.json ? 100000 : 160);
    if (options.json) {
      out << (decoded || absl::StartsWith(r.value, "{") ? text : absl::StrCat("{\"raw\":\"", text, "\"}")) << "\n";
    } else {
      out << absl::StrFormat("%-3d %-8d %-20s %s\n", r.partition, r.offset, r.key.empty() ? "-" : r.key, text);
    }
  }
  if (!options.json) out << records->size() << " records on " << options.topic << "\n";
  return absl::OkStatus();
}

absl::Status DeadLetters(const Options& options, std::ostream& out) {
  auto records = kafka::ReadTopicToEnd(options.kafka, options.topic, 0, options.timeout);
  if (!records.ok()) return records.status();
  std::map<std::string, int> by_reason;
  if (!options.json) out << absl::StrFormat("%-24s %-18s %-34s %s\n", "REASON", "EVENT ID", "FROM", "DETAIL");
  for (const kafka::ConsumedRecord& r : *records) {
    v1::DeadLetter letter;
    if (!letter.ParseFromString(r.value)) continue;
    const std::string reason = v1::RejectReason_Name(letter.reason());
    ++by_reason[reason];
    if (options.json) {
      out << ToJson(letter) << "\n";
      continue;
    }
    out << absl::StrFormat("%-24s %-18s %-34s %s\n", reason, letter.event_id().empty() ? "-" : letter.event_id(),
                           absl::StrCat(letter.source_topic(), "/", letter.source_partition(), "@",
                                        letter.source_offset()),
                           Printable(letter.detail(), 100));
  }
  if (!options.json) {
    out << records->size() << " dead letters";
    for (const auto& [reason, n] : by_reason) out << ", " << reason << " " << n;
    out << "\n";
  }
  return absl::OkStatus();
}

namespace {

absl::Status FromGrpc(const grpc::Status& status, absl::string_view what) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(what, ": ", status.error_message()));
}

}  // namespace

absl::Status Health(const Options& options, const std::string& account, std::ostream& out) {
  auto stub = v1::HealthService::NewStub(grpc::CreateChannel(options.health_addr, grpc::InsecureChannelCredentials()));
  const auto deadline = std::chrono::system_clock::now() +
                        std::chrono::milliseconds(absl::ToInt64Milliseconds(options.timeout));
  if (!account.empty()) {
    v1::GetHealthRequest request;
    request.set_account_id(account);
    v1::AccountHealth h;
    grpc::ClientContext context;
    context.set_deadline(deadline);
    if (auto s = FromGrpc(stub->GetHealth(&context, request, &h), "GetHealth"); !s.ok()) return s;
    if (options.json) {
      out << ToJson(h) << "\n";
      return absl::OkStatus();
    }
    out << absl::StrFormat("%s: %.1f %s, %s (%s), segment %s, scorecard %s\n", h.account_id(), h.score(),
                           v1::HealthBand_Name(h.band()), v1::LoyaltyStage_Name(h.loyalty_stage()),
                           h.loyalty_reason(), h.segment(), h.scorecard_version());
    if (h.has_override()) {
      out << absl::StrFormat("  override %.0f by %s: %s (computed %.1f)\n", h.override().score(),
                             h.override().author(), h.override().reason(), h.computed_score());
    }
    out << absl::StrFormat("  %-18s %6s %7s %8s  %s\n", "COMPONENT", "SCORE", "WEIGHT", "POINTS", "MEASURES");
    for (const v1::ComponentScore& c : h.components()) {
      std::string measures;
      for (const v1::MeasureScore& m : c.measures()) {
        if (m.has_data()) absl::StrAppendFormat(&measures, "%s=%g ", v1::HealthMeasure_Name(m.measure()), m.value());
      }
      if (!c.has_data()) measures = c.note();
      out << absl::StrFormat("  %-18s %6.1f %6.0f%% %8.1f  %s\n", v1::HealthComponent_Name(c.component()), c.score(),
                             c.effective_weight() * 100, c.contribution(), measures);
    }
    for (const v1::Trend& t : h.trends()) {
      if (t.has_data()) {
        out << absl::StrFormat("  trend %dd: %+.1f points, %s\n", t.window_days(), t.change(),
                               v1::TrendDirection_Name(t.direction()));
      }
    }
    return absl::OkStatus();
  }
  v1::ListAccountsRequest request;
  request.set_page_size(1000);
  int shown = 0;
  if (!options.json) out << absl::StrFormat("%-22s %6s %-7s %-13s %s\n", "ACCOUNT", "SCORE", "BAND", "STAGE", "SEGMENT");
  while (true) {
    v1::ListAccountsResponse response;
    grpc::ClientContext context;
    context.set_deadline(deadline);
    if (auto s = FromGrpc(stub->ListAccounts(&context, request, &response), "ListAccounts"); !s.ok()) return s;
    for (const v1::AccountHealth& h : response.accounts()) {
      ++shown;
      if (options.json) {
        out << ToJson(h) << "\n";
      } else {
        out << absl::StrFormat("%-22s %6.1f %-7s %-13s %s\n", h.account_id(), h.score(), v1::HealthBand_Name(h.band()),
                               v1::LoyaltyStage_Name(h.loyalty_stage()), h.segment());
      }
    }
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  if (!options.json) out << shown << " accounts\n";
  return absl::OkStatus();
}

namespace {

std::string Drivers(const v1::ChurnRisk& risk) {
  std::string out;
  for (const v1::RiskDriver& d : risk.drivers()) {
    if (!out.empty()) out += ", ";
    absl::StrAppendFormat(&out, "%s=%g (+%.2f)", absl::StripPrefix(v1::ChurnFeature_Name(d.feature()), "CHURN_FEATURE_"),
                          d.value(), d.contribution());
  }
  return out.empty() ? "-" : out;
}

}  // namespace

absl::Status Risk(const Options& options, const std::string& account, std::ostream& out) {
  auto stub = v1::ChurnRiskService::NewStub(grpc::CreateChannel(options.churn_addr, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(absl::ToInt64Milliseconds(options.timeout)));
  std::vector<v1::ChurnRisk> risks;
  if (!account.empty()) {
    v1::GetRiskRequest request;
    request.set_account_id(account);
    v1::ChurnRisk risk;
    if (auto s = FromGrpc(stub->GetRisk(&context, request, &risk), "GetRisk"); !s.ok()) return s;
    risks.push_back(risk);
  } else {
    v1::ListAtRiskRequest request;
    request.set_page_size(options.limit);
    v1::ListAtRiskResponse response;
    if (auto s = FromGrpc(stub->ListAtRisk(&context, request, &response), "ListAtRisk"); !s.ok()) return s;
    risks.assign(response.risks().begin(), response.risks().end());
  }
  if (!options.json) {
    out << absl::StrFormat("%-22s %6s %-9s %12s %12s  %s\n", "ACCOUNT", "P", "TIER", "ARR", "AT RISK", "DRIVERS");
  }
  for (const v1::ChurnRisk& r : risks) {
    if (options.json) {
      out << ToJson(r) << "\n";
    } else {
      out << absl::StrFormat("%-22s %5.0f%% %-9s %12d %12.0f  %s\n", r.account_id(), r.probability() * 100,
                             v1::RiskTier_Name(r.tier()), r.arr(), r.revenue_at_risk(), Drivers(r));
    }
  }
  return absl::OkStatus();
}

absl::Status Replay(const Options& options, const ReplaySelection& selection, std::ostream& out) {
  std::set<std::pair<int32_t, int64_t>> offsets;
  for (const std::string& text : selection.offsets) {
    std::pair<std::string, std::string> parts = absl::StrSplit(text, absl::MaxSplits(':', 1));
    int32_t partition = 0;
    int64_t offset = 0;
    if (!absl::SimpleAtoi(parts.first, &partition) || !absl::SimpleAtoi(parts.second, &offset)) {
      return absl::InvalidArgumentError(absl::StrCat("--offsets: expected PARTITION:OFFSET, got \"", text, "\""));
    }
    offsets.insert({partition, offset});
  }
  if (offsets.empty() && selection.reason.empty() && selection.event_ids.empty()) {
    return absl::InvalidArgumentError("choose the records to replay with --offsets, --reason or --event_id");
  }
  v1::RejectReason reason = v1::REJECT_REASON_UNSPECIFIED;
  if (!selection.reason.empty() && !v1::RejectReason_Parse(selection.reason, &reason)) {
    return absl::InvalidArgumentError(absl::StrCat("--reason=", selection.reason, ": not a RejectReason"));
  }
  auto records = kafka::ReadTopicToEnd(options.kafka, options.topic, 0, options.timeout);
  if (!records.ok()) return records.status();
  std::vector<kafka::OutgoingRecord> chosen;
  for (const kafka::ConsumedRecord& r : *records) {
    v1::DeadLetter letter;
    if (!letter.ParseFromString(r.value)) continue;
    const bool pick = offsets.count({r.partition, r.offset}) > 0 || (!selection.reason.empty() && letter.reason() == reason) ||
                      (!letter.event_id().empty() && std::find(selection.event_ids.begin(), selection.event_ids.end(),
                                                               letter.event_id()) != selection.event_ids.end());
    if (!pick) continue;
    kafka::OutgoingRecord record{options.to_topic, letter.original_key(), letter.original_value(), {}};
    for (const v1::RecordHeader& h : letter.original_headers()) {
      if (!options.content_type.empty() && absl::EqualsIgnoreCase(h.key(), "content-type")) continue;
      record.headers.push_back({h.key(), h.value()});
    }
    if (!options.content_type.empty()) record.headers.push_back({"content-type", options.content_type});
    out << absl::StrFormat("%s %d@%d %-22s %s -> %s\n", selection.dry_run ? "would replay" : "replaying", r.partition,
                           r.offset, v1::RejectReason_Name(letter.reason()),
                           letter.event_id().empty() ? "-" : letter.event_id(), options.to_topic);
    chosen.push_back(std::move(record));
  }
  if (chosen.empty()) return absl::NotFoundError(absl::StrCat("no dead letter on ", options.topic, " matches"));
  if (selection.dry_run) return absl::OkStatus();
  kafka::ProducerOptions producer_options;
  producer_options.kafka = options.kafka;
  auto producer = kafka::KafkaProducer::Create(producer_options, options.timeout);
  if (!producer.ok()) return producer.status();
  if (auto s = (*producer)->ProduceAndWait(chosen, options.timeout); !s.ok()) return s;
  out << "replayed " << chosen.size() << " records to " << options.to_topic << "\n";
  return absl::OkStatus();
}

namespace {

std::chrono::system_clock::time_point Deadline(absl::Duration d) {
  return std::chrono::system_clock::now() + std::chrono::milliseconds(absl::ToInt64Milliseconds(d));
}

}  // namespace

absl::Status References(const Options& options, const std::string& account, const Criteria& criteria,
                        std::ostream& out) {
  auto stub = v1::ReferencePipelineService::NewStub(
      grpc::CreateChannel(options.reference_addr, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(Deadline(options.timeout));
  if (!account.empty()) {
    v1::GetAdvocacyProfileRequest request;
    request.set_account_id(account);
    v1::AdvocacyProfile p;
    if (auto s = FromGrpc(stub->GetAdvocacyProfile(&context, request, &p), "GetAdvocacyProfile"); !s.ok()) return s;
    if (options.json) {
      out << ToJson(p) << "\n";
      return absl::OkStatus();
    }
    out << absl::StrFormat("%s: %s, %s; health %.0f %s, %s, churn %s; %s, %s\n", p.account_id(),
                           p.eligible() ? "ELIGIBLE" : "not eligible", p.advocate() ? "an advocate" : "not an advocate",
                           p.health_score(), v1::HealthBand_Name(p.band()), v1::LoyaltyStage_Name(p.stage()),
                           v1::RiskTier_Name(p.churn_tier()), p.consent() ? "consent on file" : "no consent",
                           p.last_success().empty() ? "no success yet" : p.last_success());
    for (const std::string& r : p.ineligible_reasons()) out << "  not eligible: " << r << "\n";
    for (const v1::ActionCount& a : p.actions()) {
      out << absl::StrFormat("  %-16s x%d\n", v1::AdvocacyAction::Kind_Name(a.kind()), a.count());
    }
    out << absl::StrFormat("  requests %d (completed %d, declined %d), %d in the last year\n", p.requests_received(),
                           p.requests_completed(), p.requests_declined(), p.asks_last_year());
    return absl::OkStatus();
  }
  v1::FindReferencesRequest request;
  request.mutable_criteria()->set_industry(criteria.industry);
  request.mutable_criteria()->set_region(criteria.region);
  request.mutable_criteria()->set_size(criteria.size);
  request.mutable_criteria()->set_use_case(criteria.use_case);
  for (const std::string& p : criteria.products) request.mutable_criteria()->add_products(p);
  request.set_limit(options.limit);
  v1::FindReferencesResponse response;
  if (auto s = FromGrpc(stub->FindReferences(&context, request, &response), "FindReferences"); !s.ok()) return s;
  if (options.json) {
    for (const auto& c : response.candidates()) out << ToJson(c) << "\n";
    return absl::OkStatus();
  }
  out << absl::StrFormat("%-4s %-22s %6s  %s\n", "RANK", "ACCOUNT", "SCORE", "WHY");
  for (const v1::ReferenceCandidate& c : response.candidates()) {
    std::string why;
    for (const v1::ScorePart& part : c.explanation()) {
      if (part.points() > 0) absl::StrAppend(&why, why.empty() ? "" : "; ", part.detail());
    }
    out << absl::StrFormat("%-4d %-22s %6.1f  %s\n", c.rank(), c.profile().account_id(), c.score(), why);
  }
  out << response.candidates_size() << " shown of " << response.eligible_accounts() << " eligible accounts\n";
  return absl::OkStatus();
}

absl::Status Watch(const Options& options, const std::string& stream, std::ostream& out) {
  grpc::ClientContext context;
  if (options.watch_for > absl::ZeroDuration()) context.set_deadline(Deadline(options.watch_for));
  const auto finished = [&](const grpc::Status& s, const char* what) {
    // The watch ends at its deadline: that is the normal end, not an error.
    return s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ? absl::OkStatus() : FromGrpc(s, what);
  };
  if (stream == "health") {
    auto stub = v1::HealthService::NewStub(grpc::CreateChannel(options.health_addr, grpc::InsecureChannelCredentials()));
    auto reader = stub->WatchHealth(&context, v1::WatchHealthRequest());
    v1::HealthSignal s;
    while (reader->Read(&s)) {
      out << (options.json ? ToJson(s)
                           : absl::StrFormat("%-22s %5.1f -> %5.1f  %s, %s", s.account_id(), s.previous_score(),
                                             s.health().score(), v1::HealthBand_Name(s.health().band()),
                                             v1::LoyaltyStage_Name(s.health().loyalty_stage())))
          << std::endl;
    }
    return finished(reader->Finish(), "WatchHealth");
  }
  if (stream == "risk") {
    auto stub = v1::ChurnRiskService::NewStub(grpc::CreateChannel(options.churn_addr, grpc::InsecureChannelCredentials()));
    v1::StreamRiskRequest request;
    if (!options.min_tier.empty()) {
      v1::RiskTier tier;
      if (!v1::RiskTier_Parse(options.min_tier, &tier)) {
        return absl::InvalidArgumentError(absl::StrCat("--min_tier=", options.min_tier, ": expected LOW, MEDIUM, HIGH or CRITICAL"));
      }
      request.mutable_filter()->set_min_tier(tier);
    }
    auto reader = stub->StreamRisk(&context, request);
    v1::ChurnRiskSignal s;
    while (reader->Read(&s)) {
      out << (options.json ? ToJson(s)
                           : absl::StrFormat("%-22s %4.0f%% -> %4.0f%%  %-9s %s", s.account_id(),
                                             s.previous_probability() * 100, s.risk().probability() * 100,
                                             v1::RiskTier_Name(s.risk().tier()), Drivers(s.risk())))
          << std::endl;
    }
    return finished(reader->Finish(), "StreamRisk");
  }
  if (stream == "advocacy") {
    auto stub = v1::ReferencePipelineService::NewStub(
        grpc::CreateChannel(options.reference_addr, grpc::InsecureChannelCredentials()));
    auto reader = stub->WatchAdvocacy(&context, v1::WatchAdvocacyRequest());
    v1::AdvocacySignal s;
    while (reader->Read(&s)) {
      out << (options.json ? ToJson(s)
                           : absl::StrFormat("%-22s %-20s %s", s.account_id(), v1::AdvocacySignal::Kind_Name(s.kind()),
                                             s.reason()))
          << std::endl;
    }
    return finished(reader->Finish(), "WatchAdvocacy");
  }
  return absl::InvalidArgumentError(absl::StrCat("watch ", stream, ": expected health, risk or advocacy"));
}

namespace {

// The configuration `apply` owns for a topic.
std::map<std::string, std::string> ConfigsOf(const v1::TopicSpec& t) {
  std::map<std::string, std::string> configs = {{"cleanup.policy", t.cleanup_policy()},
                                                {"retention.ms", absl::StrCat(t.retention_ms())}};
  if (t.max_message_bytes() > 0) configs["max.message.bytes"] = absl::StrCat(t.max_message_bytes());
  return configs;
}

}  // namespace

absl::Status ApplyTopics(const Options& options, const std::string& file, int partitions, bool dry_run,
                         std::ostream& out) {
  RETENTION_ASSIGN_OR_RETURN(const std::string text, config::ReadConfigFile(file));
  v1::TopicSet set;
  google::protobuf::TextFormat::ParseInfoTree tree;
  RETENTION_RETURN_IF_ERROR(config::ParseTextProto(text, file, &set, &tree));
  std::vector<std::string> names;
  for (int i = 0; i < set.topics_size(); ++i) {
    v1::TopicSpec& t = *set.mutable_topics(i);
    const int line = config::LineOf(&tree, v1::TopicSet::descriptor()->FindFieldByName("topics"), i);
    if (t.name().empty()) return absl::InvalidArgumentError(absl::StrCat(file, ":", line, ": a topic needs a name"));
    if (t.cleanup_policy() != "delete" && t.cleanup_policy() != "compact") {
      return absl::InvalidArgumentError(
          absl::StrCat(file, ":", line, ": topic ", t.name(), ": cleanup_policy must be delete or compact"));
    }
    if (partitions > 0) t.set_partitions(partitions);
    if (t.partitions() < 1) {
      return absl::InvalidArgumentError(absl::StrCat(file, ":", line, ": topic ", t.name(), ": partitions must be >= 1"));
    }
    names.push_back(t.name());
  }
  RETENTION_ASSIGN_OR_RETURN(auto existing, kafka::DescribeTopics(options.kafka, names, true, options.timeout));
  int created = 0, changed = 0, drifted = 0;
  std::vector<kafka::TopicSpec> missing;
  for (const v1::TopicSpec& t : set.topics()) {
    const std::map<std::string, std::string> wanted = ConfigsOf(t);
    auto it = existing.find(t.name());
    if (it == existing.end()) {
      missing.push_back({t.name(), t.partitions(), t.replication_factor() > 0 ? t.replication_factor() : -1, wanted});
      out << "create  " << t.name() << " (" << t.partitions() << " partitions, " << t.cleanup_policy() << ")\n";
      ++created;
      continue;
    }
    if (it->second.partitions != t.partitions()) {
      out << "DRIFT   " << t.name() << ": " << it->second.partitions << " partitions, the definition says "
          << t.partitions() << " (not changed: repartitioning moves accounts; migrate by hand)\n";
      ++drifted;
    }
    std::vector<std::string> differences;
    for (const auto& [key, value] : wanted) {
      auto current = it->second.configs.find(key);
      if (current == it->second.configs.end() || current->second != value) {
        differences.push_back(absl::StrCat(key, "=", current == it->second.configs.end() ? "?" : current->second, " -> ", value));
      }
    }
    if (differences.empty()) {
      out << "ok      " << t.name() << "\n";
      continue;
    }
    out << "update  " << t.name() << ": " << absl::StrJoin(differences, ", ") << "\n";
    ++changed;
    if (!dry_run) RETENTION_RETURN_IF_ERROR(kafka::SetTopicConfigs(options.kafka, t.name(), wanted, options.timeout));
  }
  if (!dry_run && !missing.empty()) RETENTION_RETURN_IF_ERROR(kafka::CreateTopics(options.kafka, missing, options.timeout));
  out << created << " created, " << changed << " updated, " << drifted << " with other partition counts"
      << (dry_run ? " (dry run: nothing changed)" : "") << "\n";
  if (drifted > 0) {
    return absl::FailedPreconditionError(absl::StrCat(drifted, " topic(s) have another partition count than ", file));
  }
  return absl::OkStatus();
}

namespace {

struct StatefulService {
  std::string prefix;               // default --state_prefix
  std::vector<std::string> inputs;  // default input topics
};

const std::map<std::string, StatefulService>& StatefulServices() {
  static const auto* services = new std::map<std::string, StatefulService>{
      {"health-score", {"health", {"retention.interactions.v1", "retention.health.overrides.v1"}}},
      {"churn-risk", {"churn", {"retention.interactions.v1", "retention.health.v1"}}},
      {"reference-pipeline",
       {"ref",
        {"retention.interactions.v1", "retention.health.v1", "retention.churn-risk.v1", "retention.advocacy.requests.v1"}}},
  };
  return *services;
}

}  // namespace

absl::Status Status(const Options& options, const std::string& service, const std::string& state_prefix,
                    std::vector<std::string> inputs, std::ostream& out) {
  auto known = StatefulServices().find(service);
  if (known == StatefulServices().end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown service '", service, "': expected health-score, churn-risk or reference-pipeline"));
  }
  if (inputs.empty()) inputs = known->second.inputs;
  const std::string prefix = state_prefix.empty() ? known->second.prefix : state_prefix;
  RETENTION_ASSIGN_OR_RETURN(const int partitions, kafka::CheckCoPartitioned(options.kafka, inputs, options.timeout));
  std::map<std::string, std::map<int32_t, int64_t>> ends;
  for (const std::string& topic : inputs) {
    RETENTION_ASSIGN_OR_RETURN(ends[topic], kafka::EndOffsets(options.kafka, topic, options.timeout));
  }
  redis::RedisClient redis(options.redis);
  RETENTION_RETURN_IF_ERROR(redis.ConnectWithin(options.timeout));
  const absl::Time now = absl::Now();
  RETENTION_ASSIGN_OR_RETURN(auto progress, stream::ReadProgress(redis, prefix, partitions, now));
  int64_t total_behind = 0, total_due = 0;
  if (!options.json) out << absl::StrFormat("%-9s %-6s %-20s %-8s %-6s %s\n", "partition", "epoch", "clock", "behind", "due", "applied / end");
  for (const stream::PartitionProgress& p : progress) {
    int64_t behind = 0;
    std::vector<std::string> applied;
    for (const std::string& topic : inputs) {
      const int64_t end = ends[topic][p.partition];
      int64_t at = 0;
      if (p.checkpoint.has_value()) {
        auto it = p.checkpoint->offsets.find(topic);
        if (it != p.checkpoint->offsets.end()) at = it->second;
      }
      behind += std::max<int64_t>(0, end - at);
      applied.push_back(absl::StrCat(topic, " ", at, "/", end));
    }
    total_behind += behind;
    total_due += p.due;
    const std::string clock = p.checkpoint.has_value() && p.checkpoint->clock != absl::InfinitePast()
                                  ? absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", p.checkpoint->clock, absl::UTCTimeZone())
                                  : "-";
    if (options.json) {
      out << absl::StrFormat(R"({"partition":%d,"epoch":%d,"clock":"%s","behind":%d,"due":%d})", p.partition, p.epoch,
                             clock, behind, p.due)
          << "\n";
    } else {
      out << absl::StrFormat("%-9d %-6d %-20s %-8d %-6d %s\n", p.partition, p.epoch, clock, behind, p.due,
                             absl::StrJoin(applied, ", "));
    }
  }
  if (!options.json) {
    out << service << " (" << prefix << "): " << total_behind << " input records not applied yet, " << total_due
        << " accounts due now\n";
  }
  return absl::OkStatus();
}

absl::Status Rebuild(const Options& options, const std::string& service, const std::string& state_prefix,
                     std::ostream& out) {
  static const std::map<std::string, std::string>* prefixes = new std::map<std::string, std::string>{
      {"health-score", "health"}, {"churn-risk", "churn"}, {"reference-pipeline", "ref"}, {"ingest", "ingest"}};
  auto prefix = prefixes->find(service);
  if (prefix == prefixes->end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown service '", service, "': expected health-score, churn-risk, reference-pipeline or ingest"));
  }
  redis::RedisClient redis(options.redis);
  RETENTION_RETURN_IF_ERROR(redis.ConnectWithin(options.timeout));
  if (service == "ingest") {
    // The de-duplication memory is rebuilt from v1; what Redis still holds is right.
    const std::string meta = absl::StrCat(state_prefix.empty() ? prefix->second : state_prefix, ":meta");
    RETENTION_ASSIGN_OR_RETURN(auto replies, redis.Pipeline({{"HSET", meta, "rebuild",
                                                              absl::FormatTime(absl::RFC3339_sec, absl::Now(),
                                                                               absl::UTCTimeZone())}}));
    if (replies[0].is_error()) return absl::InternalError(replies[0].str);
    out << "asked ingest to rebuild its de-duplication memory from retention.interactions.v1\n";
    return absl::OkStatus();
  }
  RETENTION_ASSIGN_OR_RETURN(const int64_t deleted, stream::RequestRebuild(redis, state_prefix.empty() ? prefix->second
                                                                                                   : state_prefix,
                                                                           absl::Now()));
  out << "deleted " << deleted << " keys of " << service << " and asked its replicas to rebuild from the topics\n";
  return absl::OkStatus();
}

}  // namespace retention::ctl
