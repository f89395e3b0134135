#include "services/reference-pipeline/service.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "libs/grpc/status.h"
#include "libs/kafka/partitioner.h"
#include "libs/metrics/metrics.h"
#include "libs/proto/time_util.h"
#include "libs/stream/grpc_stream.h"
#include "libs/stream/quarantine.h"
#include "services/reference-pipeline/requests.h"
#include "services/reference-pipeline/validate.h"

namespace retention::reference {
namespace {

using grpc_server::ToGrpc;

std::string RandomHex() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return absl::StrFormat("%016x", rng());
}

absl::Status Unavailable(const absl::Status& status) {
  return absl::UnavailableError(absl::StrCat("state store unavailable: ", status.message()));
}

}  // namespace

ReferenceGrpcService::ReferenceGrpcService(ServiceSettings settings, const ReferenceEngine* engine,
                                           stream::AccountReader* reader, kafka::Producer* producer,
                                           const stream::Clock* clock, const stream::ServingGate* gate,
                                           AdvocacyHub* hub, prometheus::Registry& registry)
    : settings_(std::move(settings)),
      engine_(engine),
      reader_(reader),
      producer_(producer),
      clock_(clock),
      gate_(gate),
      hub_(hub),
      find_seconds_(metrics::AddLatencyHistogram(registry, "retention_reference_find_seconds",
                                                 "FindReferences latency in the service")) {}

absl::StatusOr<ReferenceAccountState> ReferenceGrpcService::Load(const std::string& account) {
  if (!gate_->open()) return absl::UnavailableError(gate_->reason());
  auto states = reader_->States({account});
  if (!states.ok()) return Unavailable(states.status());
  auto it = states->find(account);
  if (it == states->end()) return absl::NotFoundError(absl::StrCat("account ", stream::Clip(account, 32), " not seen"));
  ReferenceAccountState state;
  if (!state.ParseFromString(it->second)) {
    return absl::DataLossError(absl::StrCat("the state of account ", stream::Clip(account, 32),
                                            " is unreadable; it is quarantined at its next update"));
  }
  return state;
}

absl::StatusOr<std::string> ReferenceGrpcService::AccountOf(const std::string& request_id) {
  if (!gate_->open()) return absl::UnavailableError(gate_->reason());
  auto account = reader_->Lookup(request_id);
  if (!account.ok()) return Unavailable(account.status());
  if (!account->has_value()) return absl::NotFoundError(absl::StrCat("no request ", stream::Clip(request_id, 32)));
  return **account;
}

grpc::Status ReferenceGrpcService::FindReferences(grpc::ServerContext*, const v1::FindReferencesRequest* request,
                                                  v1::FindReferencesResponse* response) {
  const absl::Time start = absl::Now();
  if (auto s = ValidateFindReferences(*request); !s.ok()) return ToGrpc(s);
  if (!gate_->open()) return ToGrpc(absl::UnavailableError(gate_->reason()));
  const int limit = request->limit() == 0 ? 10 : request->limit();
  const v1::ReferencePolicy& policy = engine_->settings().policy;
  const absl::Time now = clock_->Now();
  std::vector<std::pair<double, v1::AdvocacyProfile>> scored;
  constexpr int64_t kChunk = 2000;
  for (int64_t offset = 0;; offset += kChunk) {
    auto ids = reader_->Ranked("eligible", false, offset, kChunk);
    if (!ids.ok()) return ToGrpc(Unavailable(ids.status()));
    auto states = reader_->States(*ids);
    if (!states.ok()) return ToGrpc(Unavailable(states.status()));
    for (const auto& [account, bytes] : *states) {
      ReferenceAccountState state;
      if (!state.ParseFromString(bytes)) continue;
      // The index is the loop's last view; eligibility now decides.
      v1::AdvocacyProfile p = Current(policy, state, now);
      if (!p.eligible()) continue;
      const double score = Score(policy, request->criteria(), p, now);
      scored.emplace_back(score, std::move(p));
    }
    if (static_cast<int64_t>(ids->size()) < kChunk) break;
  }
  const size_t shown = std::min(scored.size(), static_cast<size_t>(limit));
  std::partial_sort(scored.begin(), scored.begin() + static_cast<long>(shown), scored.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second.account_id() < b.second.account_id();
  });
  response->set_eligible_accounts(static_cast<int32_t>(scored.size()));
  for (size_t i = 0; i < shown; ++i) {
    v1::ReferenceCandidate c = Rank(policy, request->criteria(), std::move(scored[i].second), now);
    c.set_rank(static_cast<int32_t>(i + 1));
    *response->add_candidates() = std::move(c);
  }
  find_seconds_.Observe(absl::ToDoubleSeconds(absl::Now() - start));
  return grpc::Status::OK;
}

absl::StatusOr<v1::ReferenceRequest> ReferenceGrpcService::Propose(v1::RequestRecord record) {
  record.set_kind(v1::RequestRecord::PROPOSED);
  record.set_command_id(absl::StrCat(RandomHex(), RandomHex()));
  *record.mutable_recorded_at() = proto::ToTimestamp(clock_->Now());
  kafka::OutgoingRecord out{settings_.requests_topic, record.request_id(), record.SerializeAsString(),
                            {{"content-type", "application/x-protobuf"}},
                            kafka::PartitionForKey(record.account_id(), settings_.partitions)};
  if (absl::Status s = producer_->ProduceAndWait({out}, absl::Seconds(30)); !s.ok()) {
    return absl::UnavailableError(absl::StrCat("recording the request failed; retry: ", s.message()));
  }
  // The topic is the record; reference-pipeline decides it in order with the account's inputs.
  const absl::Time deadline = absl::Now() + settings_.decide_timeout;
  while (true) {
    auto state = Load(record.account_id());
    if (state.ok()) {
      for (const auto& d : state->decisions()) {
        if (d.command_id() != record.command_id()) continue;
        if (!d.accepted()) return absl::Status(static_cast<absl::StatusCode>(d.code()), d.reason());
        for (const auto& r : state->requests()) {
          if (r.request_id() == record.request_id()) return r;
        }
        return absl::InternalError("the request was accepted but is not in the account's state");
      }
    }
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("the request is recorded (command ", record.command_id(), ") but not decided yet"));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

grpc::Status ReferenceGrpcService::CreateRequest(grpc::ServerContext*, const v1::CreateRequestRequest* create,
                                                 v1::ReferenceRequest* response) {
  if (auto s = ValidateCreateRequest(*create); !s.ok()) return ToGrpc(s);
  auto state = Load(create->account_id());
  if (!state.ok()) return ToGrpc(state.status());
  // A quick refusal for what is already known; the decision itself is the owner's.
  const v1::AdvocacyProfile profile = Current(engine_->settings().policy, *state, clock_->Now());
  if (!profile.eligible()) {
    return ToGrpc(absl::FailedPreconditionError(absl::StrCat("account ", create->account_id(), " is not eligible: ",
                                                             absl::StrJoin(profile.ineligible_reasons(), "; "))));
  }
  v1::RequestRecord record;
  record.set_account_id(create->account_id());
  record.set_request_id(absl::StrCat("req-", RandomHex()));
  *record.mutable_create() = *create;
  auto decided = Propose(std::move(record));
  if (!decided.ok()) return ToGrpc(decided.status());
  *response = *std::move(decided);
  return grpc::Status::OK;
}

grpc::Status ReferenceGrpcService::UpdateRequest(grpc::ServerContext*, const v1::UpdateRequestRequest* update,
                                                 v1::ReferenceRequest* response) {
  if (auto s = ValidateUpdateRequest(*update); !s.ok()) return ToGrpc(s);
  auto account = AccountOf(update->request_id());
  if (!account.ok()) return ToGrpc(account.status());
  auto state = Load(*account);
  if (!state.ok()) return ToGrpc(state.status());
  for (const auto& r : state->requests()) {
    if (r.request_id() != update->request_id()) continue;
    // A quick refusal for a move the life cycle does not allow.
    if (auto moved = Transition(r, *update, clock_->Now()); !moved.ok()) return ToGrpc(moved.status());
  }
  v1::RequestRecord record;
  record.set_account_id(*account);
  record.set_request_id(update->request_id());
  *record.mutable_update() = *update;
  auto decided = Propose(std::move(record));
  if (!decided.ok()) return ToGrpc(decided.status());
  *response = *std::move(decided);
  return grpc::Status::OK;
}

grpc::Status ReferenceGrpcService::GetRequest(grpc::ServerContext*, const v1::GetRequestRequest* request,
                                              v1::ReferenceRequest* response) {
  if (auto s = ValidateGetRequest(*request); !s.ok()) return ToGrpc(s);
  auto account = AccountOf(request->request_id());
  if (!account.ok()) return ToGrpc(account.status());
  auto state = Load(*account);
  if (!state.ok()) return ToGrpc(state.status());
  for (const auto& r : state->requests()) {
    if (r.request_id() == request->request_id()) {
      *response = r;
      return grpc::Status::OK;
    }
  }
  return ToGrpc(absl::NotFoundError(absl::StrCat("no request ", stream::Clip(request->request_id(), 32))));
}

grpc::Status ReferenceGrpcService::GetAdvocacyProfile(grpc::ServerContext*, const v1::GetAdvocacyProfileRequest* request,
                                                      v1::AdvocacyProfile* response) {
  if (auto s = ValidateGetAdvocacyProfile(*request); !s.ok()) return ToGrpc(s);
  auto state = Load(request->account_id());
  if (!state.ok()) return ToGrpc(state.status());
  *response = Current(engine_->settings().policy, *state,
                      std::max(clock_->Now(), absl::FromUnixMillis(state->evaluated_at_ms())));
  return grpc::Status::OK;
}

grpc::Status ReferenceGrpcService::WatchAdvocacy(grpc::ServerContext* context, const v1::WatchAdvocacyRequest* request,
                                                 grpc::ServerWriter<v1::AdvocacySignal>* writer) {
  const std::vector<int> kinds(request->kinds().begin(), request->kinds().end());
  return stream::StreamFromHub<v1::AdvocacySignal>(
      context, hub_,
      [kinds](const v1::AdvocacySignal& s) {
        return kinds.empty() || std::find(kinds.begin(), kinds.end(), s.kind()) != kinds.end();
      },
      writer);
}

}  // namespace retention::reference
