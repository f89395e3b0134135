#include "tools/retentionctl/commands.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <fstream>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "libs/kafka/producer.h"
#include "libs/kafka/topic_reader.h"
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

std::string PayloadName(const v1::InteractionEvent& e) {
  const auto* field = e.GetDescriptor()->FindFieldByNumber(static_cast<int>(e.payload_case()));
  return field == nullptr ? "-" : field->name();
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
  producer_options.kafka.brokers = options.brokers;
  producer_options.kafka.client_id = "retentionctl";
  auto producer = kafka::KafkaProducer::Create(producer_options, options.timeout);
  if (!producer.ok()) return producer.status();
  if (auto s = (*producer)->ProduceAndWait(records, options.timeout); !s.ok()) return s;
  out << "sent " << records.size() << " records to " << options.topic << " (" << options.format << ")\n";
  return absl::OkStatus();
}

absl::Status Tail(const Options& options, std::ostream& out) {
  auto records = kafka::ReadTopicToEnd(options.brokers, options.topic, 0, options.timeout);
  if (!records.ok()) return records.status();
  for (const kafka::ConsumedRecord& r : *records) {
    v1::InteractionEvent event;
    const bool is_event = event.ParseFromString(r.value) && !event.event_id().empty();
    if (options.json) {
      out << (is_event ? ToJson(event) : absl::StrCat("{\"raw\":\"", Printable(r.value, 200), "\"}")) << "\n";
    } else if (is_event) {
      out << absl::StrFormat("%-3d %-8d %-14s %-22s %-16s %s\n", r.partition, r.offset, event.account_id(),
                             event.event_id(), PayloadName(event), ToJson(event));
    } else {
      out << absl::StrFormat("%-3d %-8d %-14s %s\n", r.partition, r.offset, r.key, Printable(r.value, 120));
    }
  }
  if (!options.json) out << records->size() << " records on " << options.topic << "\n";
  return absl::OkStatus();
}

absl::Status DeadLetters(const Options& options, std::ostream& out) {
  auto records = kafka::ReadTopicToEnd(options.brokers, options.topic, 0, options.timeout);
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

}  // namespace retention::ctl
