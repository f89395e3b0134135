// Writes the seed corpus of every fuzz target into tests/fuzz/corpus/<target>/ from
// real data: the generator's events (JSON and protobuf), what the services' own engines
// make of them (health and churn signals, stored states), request records, the shipped
// scorecard, model, policy and topics files. Run from the repository's root:
//   bazel run //tests/fuzz:make_seeds -- "$PWD"
// The seeds are committed; run it again only to refresh them.
#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/config/textproto.h"
#include "libs/proto/time_util.h"
#include "libs/stream/local_runner.h"
#include "retention/v1/ingest_service.pb.h"
#include "services/churn-risk/engine.h"
#include "services/churn-risk/model.h"
#include "services/health-score/engine.h"
#include "services/health-score/scorecard.h"
#include "services/reference-pipeline/engine.h"
#include "services/reference-pipeline/policy.h"
#include "tests/fuzz/engine_harness.h"
#include "tests/fuzz/shipped.h"
#include "tools/generate/generator.h"

namespace retention::fuzz {
namespace {

namespace fs = std::filesystem;

fs::path root;

void Write(const std::string& target, const std::string& name, const std::string& bytes) {
  const fs::path dir = root / "tests/fuzz/corpus" / target;
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out << bytes;
}

std::string ReadFile(const std::string& path) {
  auto text = config::ReadConfigFile((root / path).string());
  if (!text.ok()) {
    std::fprintf(stderr, "%s\n", text.status().ToString().c_str());
    std::exit(1);
  }
  return *text;
}

// The generator's accounts: one of each trajectory among the first few.
std::vector<generate::Account> Accounts() {
  generate::Settings settings;
  settings.seed = 7;
  settings.days = 60;
  std::vector<generate::Account> out;
  for (int64_t i = 0; i < 6; ++i) out.push_back(generate::GenerateAccount(settings, i));
  return out;
}

// At most `max` events of the account, the first of each payload kind first.
std::vector<v1::InteractionEvent> Sample(const generate::Account& a, size_t max) {
  std::vector<v1::InteractionEvent> out;
  std::vector<bool> seen(64, false);
  for (const auto& e : a.events) {
    if (seen[e.payload_case() % 64]) continue;
    seen[e.payload_case() % 64] = true;
    out.push_back(e);
  }
  for (const auto& e : a.events) {
    if (out.size() >= max) break;
    out.push_back(e);
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& x, const auto& y) {
    return x.occurred_at().seconds() < y.occurred_at().seconds();
  });
  if (out.size() > max) out.resize(max);
  return out;
}

std::string Json(const google::protobuf::Message& m) {
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(m, &json);
  return json;
}

kafka::ConsumedRecord Consumed(const kafka::OutgoingRecord& r) {
  kafka::ConsumedRecord c;
  c.topic = r.topic;
  c.key = r.key;
  c.value = r.value;
  c.headers = r.headers;
  return c;
}

// An engine input: records on the topic with index `topic`, fed in one batch, then the
// clock moved on by `advance`.
struct Framed {
  FuzzOutput out;
  void Store(const std::string& account, const std::string& state) { out.Byte(kStoreState).Bytes(account).Bytes(state); }
  void Record(int topic, const std::string& key, const std::string& value) {
    out.Byte(kRecord).Byte(static_cast<uint8_t>(topic)).Bytes(key).Bytes(value);
  }
  void Feed() { out.Byte(kFeedBatch); }
  void Advance(absl::Duration d) { out.Byte(kAdvanceClock).Uint(static_cast<uint64_t>(absl::ToInt64Seconds(d)), 4); }
};

// The account's stored state, an event folded into it, then days passing.
void StoredSeed(const std::string& target, int n, const std::string& account, const std::string& state,
                const std::string& event) {
  Framed f;
  f.Store(account, state);
  f.Record(0, account, event);
  f.Feed();
  f.Advance(absl::Hours(24 * 5));
  Write(target, absl::StrCat("stored-", n), f.out.str());
}

void IngestSeeds(const std::vector<generate::Account>& accounts) {
  int n = 0;
  for (const auto& a : accounts) {
    for (const auto& e : Sample(a, 4)) {
      Write("ingest_decode_fuzz", absl::StrCat("json-", n), FuzzOutput().Byte(0).Rest(Json(e)).str());
      Write("ingest_decode_fuzz", absl::StrCat("protobuf-", n), FuzzOutput().Byte(1).Rest(e.SerializeAsString()).str());
      Write("ingest_decode_fuzz", absl::StrCat("sniffed-", n), FuzzOutput().Byte(2).Rest(Json(e)).str());
      ++n;
    }
  }
  for (const char* file : {"tools/samples/bad_events.jsonl", "tools/samples/mislabelled.jsonl"}) {
    std::istringstream lines(ReadFile(file));
    std::string line;
    for (int i = 0; std::getline(lines, line); ++i) {
      if (line.empty() || line[0] == '#') continue;
      Write("ingest_decode_fuzz", absl::StrCat(fs::path(file).stem().string(), "-", i),
            FuzzOutput().Byte(0).Rest(line).str());
    }
  }
}

void EngineSeeds(const std::vector<generate::Account>& accounts) {
  health::EngineSettings hs;
  hs.scorecards = ShippedOrDie(health::LoadScorecardSet((root / kShippedScorecards).string()), kShippedScorecards);
  const health::HealthEngine health_engine(hs);
  churn::EngineSettings cs;
  cs.model = ShippedOrDie(churn::LoadModel((root / kShippedModel).string()), kShippedModel);
  const churn::ChurnEngine churn_engine(cs);
  reference::EngineSettings rs;
  rs.policy = ShippedOrDie(reference::LoadPolicy((root / kShippedPolicy).string()), kShippedPolicy);
  const reference::ReferenceEngine reference_engine(rs);

  int n = 0;
  for (const auto& a : accounts) {
    const std::string& account = a.label.account_id;
    const std::vector<v1::InteractionEvent> events = Sample(a, 24);
    std::vector<kafka::ConsumedRecord> records;
    for (const auto& e : events) records.push_back({hs.v1_topic, 0, 0, account, e.SerializeAsString(), {}, 0});

    // Run the engines on the events for their signals and stored states.
    stream::LocalRunner<health::HealthEngine> health_runner(&health_engine);
    const stream::FoldResult health_out = health_runner.Feed(records);
    std::vector<kafka::ConsumedRecord> health_signals;
    for (const auto& s : health_out.signals) health_signals.push_back(Consumed(s));
    stream::LocalRunner<churn::ChurnEngine> churn_runner(&churn_engine);
    std::vector<kafka::ConsumedRecord> churn_in = records;
    for (const auto& s : health_signals) churn_in.push_back(s);
    const stream::FoldResult churn_out = churn_runner.Feed(churn_in);
    stream::LocalRunner<reference::ReferenceEngine> reference_runner(&reference_engine);
    std::vector<kafka::ConsumedRecord> reference_in = churn_in;
    for (const auto& s : churn_out.signals) reference_in.push_back(Consumed(s));
    reference_runner.Feed(reference_in);

    const absl::Time last = proto::FromTimestamp(events.back().occurred_at());
    // health-score: the events, then days of silence; and the stored state with an
    // override set and cleared.
    {
      Framed f;
      for (const auto& r : records) f.Record(0, account, r.value);
      f.Feed();
      f.Advance(absl::Hours(24 * 9));
      Write("health_engine_fuzz", absl::StrCat("events-", n), f.out.str());
      Framed g;
      g.Store(account, health_runner.states().at(account));
      v1::OverrideRecord o;
      o.set_account_id(account);
      o.set_command_id("cmd-1");
      *o.mutable_recorded_at() = proto::ToTimestamp(last + absl::Hours(1));
      o.mutable_override()->set_score(35);
      o.mutable_override()->set_reason("escalation in progress");
      o.mutable_override()->set_author("csm@example.com");
      *o.mutable_override()->mutable_set_at() = o.recorded_at();
      *o.mutable_override()->mutable_expires_at() = proto::ToTimestamp(last + absl::Hours(72));
      g.Record(1, account, o.SerializeAsString());
      g.Feed();
      g.Advance(absl::Hours(96));
      o.clear_override();
      o.set_cleared_by("csm@example.com");
      *o.mutable_recorded_at() = proto::ToTimestamp(last + absl::Hours(100));
      g.Record(1, account, o.SerializeAsString());
      g.Record(0, account, records.back().value);
      g.Feed();
      Write("health_engine_fuzz", absl::StrCat("stored-override-", n), g.out.str());
    }
    // churn-risk: events and health signals; and its stored state ticking.
    {
      Framed f;
      for (const auto& r : records) f.Record(0, account, r.value);
      for (const auto& s : health_signals) f.Record(1, account, s.value);
      f.Feed();
      f.Advance(absl::Hours(24 * 30));
      Write("churn_engine_fuzz", absl::StrCat("events-", n), f.out.str());
      StoredSeed("churn_engine_fuzz", n, account, churn_runner.states().at(account), records.back().value);
    }
    // reference-pipeline: events, signals, a request proposed and moved on.
    {
      Framed f;
      for (const auto& r : records) f.Record(0, account, r.value);
      for (const auto& s : health_signals) f.Record(1, account, s.value);
      for (const auto& s : churn_out.signals) f.Record(2, account, s.value);
      v1::RequestRecord create;
      create.set_kind(v1::RequestRecord::PROPOSED);
      create.set_command_id("cmd-create");
      create.set_account_id(account);
      create.set_request_id("req-1");
      create.mutable_create()->set_account_id(account);
      create.mutable_create()->set_kind(v1::AdvocacyAction::REFERENCE_CALL);
      create.mutable_create()->set_requested_by("ae@example.com");
      create.mutable_create()->mutable_prospect()->set_industry("fintech");
      *create.mutable_recorded_at() = proto::ToTimestamp(last + absl::Hours(2));
      f.Record(3, "req-1", create.SerializeAsString());
      v1::RequestRecord update;
      update.set_kind(v1::RequestRecord::PROPOSED);
      update.set_command_id("cmd-update");
      update.set_account_id(account);
      update.set_request_id("req-1");
      update.mutable_update()->set_request_id("req-1");
      update.mutable_update()->set_state(v1::ReferenceRequest::IN_PROGRESS);
      update.mutable_update()->set_by("owner@example.com");
      *update.mutable_recorded_at() = proto::ToTimestamp(last + absl::Hours(3));
      f.Record(3, "req-1", update.SerializeAsString());
      f.Feed();
      f.Advance(absl::Hours(24 * 40));
      Write("reference_engine_fuzz", absl::StrCat("events-", n), f.out.str());
      StoredSeed("reference_engine_fuzz", n, account, reference_runner.states().at(account), records.back().value);
    }
    // The activity model: health-score's stored activity, then some of the events.
    {
      healthscore::HealthState state;
      state.ParseFromString(health_runner.states().at(account));
      FuzzOutput out;
      out.Bytes(state.activity().SerializeAsString());
      out.Uint(static_cast<uint64_t>(absl::ToInt64Seconds(kFuzzWall - last)), 4);
      for (size_t i = 0; i < events.size() && i < 8; ++i) out.Bytes(events[i].SerializeAsString()).Uint(3600, 2);
      Write("activity_fuzz", absl::StrCat("stored-", n), out.str());
    }
    ++n;
  }
}

void ConfigSeeds() {
  Write("scorecard_fuzz", "default.textproto", ReadFile(kShippedScorecards));
  Write("churn_model_fuzz", "churn-2026-11-a.textproto", ReadFile("services/churn-risk/models/churn-2026-11-a.textproto"));
  Write("churn_model_fuzz", "churn-2026-11-b.textproto", ReadFile(kShippedModel));
  Write("reference_policy_fuzz", "default.textproto", ReadFile(kShippedPolicy));
  Write("config_textproto_fuzz", "topics.textproto", ReadFile("deploy/topics/topics.textproto"));
}

void GrpcSeeds(const std::vector<generate::Account>& accounts) {
  const auto write = [](int kind, const std::string& name, const google::protobuf::Message& m) {
    Write("grpc_requests_fuzz", name, FuzzOutput().Byte(static_cast<uint8_t>(kind)).Rest(m.SerializeAsString()).str());
  };
  v1::SubmitRequest submit;
  for (const auto& e : Sample(accounts[0], 3)) *submit.add_events() = e;
  write(0, "submit", submit);
  v1::GetHealthRequest get_health;
  get_health.set_account_id("acct-0000001");
  write(1, "get-health", get_health);
  v1::SetOverrideRequest set_override;
  set_override.set_account_id("acct-0000001");
  set_override.set_score(40);
  set_override.set_reason("escalation in progress");
  set_override.set_author("csm@example.com");
  *set_override.mutable_expires_at() = proto::ToTimestamp(kFuzzWall + absl::Hours(48));
  write(2, "set-override", set_override);
  v1::ClearOverrideRequest clear_override;
  clear_override.set_account_id("acct-0000001");
  clear_override.set_author("csm@example.com");
  write(3, "clear-override", clear_override);
  v1::ListAccountsRequest list_accounts;
  list_accounts.set_page_size(50);
  list_accounts.set_page_token("100");
  write(4, "list-accounts", list_accounts);
  v1::GetRiskRequest get_risk;
  get_risk.set_account_id("acct-0000002");
  write(5, "get-risk", get_risk);
  v1::GetDefectionInsightsRequest insights;
  insights.add_periods("2026-10");
  insights.add_segments("enterprise");
  write(6, "defection-insights", insights);
  v1::ListAtRiskRequest list_at_risk;
  list_at_risk.set_page_size(20);
  write(7, "list-at-risk", list_at_risk);
  v1::FindReferencesRequest find;
  find.set_limit(5);
  find.mutable_criteria()->set_industry("fintech");
  find.mutable_criteria()->add_products("analytics");
  write(8, "find-references", find);
  v1::CreateRequestRequest create;
  create.set_account_id("acct-0000003");
  create.set_kind(v1::AdvocacyAction::CASE_STUDY);
  create.set_requested_by("ae@example.com");
  create.set_note("a fintech prospect");
  write(9, "create-request", create);
  v1::UpdateRequestRequest update;
  update.set_request_id("req-1");
  update.set_state(v1::ReferenceRequest::APPROVED);
  update.set_by("owner@example.com");
  write(10, "update-request", update);
  v1::GetRequestRequest get_request;
  get_request.set_request_id("req-1");
  write(11, "get-request", get_request);
  v1::GetAdvocacyProfileRequest profile;
  profile.set_account_id("acct-0000003");
  write(12, "get-advocacy-profile", profile);
  get_health.set_account_id(std::string(10 * 1024, 'x'));
  write(1, "get-health-10k-account", get_health);
}

}  // namespace
}  // namespace retention::fuzz

int main(int argc, char** argv) {
  using namespace retention::fuzz;
  root = argc > 1 ? argv[1] : ".";
  const auto accounts = Accounts();
  IngestSeeds(accounts);
  EngineSeeds(accounts);
  ConfigSeeds();
  GrpcSeeds(accounts);
  std::printf("seeds written under %s/tests/fuzz/corpus\n", root.c_str());
  return 0;
}
