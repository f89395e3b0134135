#include "services/reference-pipeline/service.h"

#include <algorithm>
#include <random>

#include "libs/grpc/stream_hub.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "libs/metrics/metrics_server.h"
#include "services/reference-pipeline/profile.h"
#include "services/reference-pipeline/requests.h"

namespace retention::reference {
namespace {

class ReferenceBatch : public pipeline::BatchWork {
 public:
  ReferenceBatch(BatchResult result, ProfileStore* store, ReferenceMetrics* metrics)
      : result_(std::move(result)), store_(store), metrics_(metrics) {}

  const std::vector<kafka::OutgoingRecord>& signals() const override { return result_.signals; }
  absl::Status Save() override { return store_->Save(result_.states); }
  void Committed(absl::Time) override {
    metrics_->inputs_applied.Increment(static_cast<double>(result_.applied));
    metrics_->inputs_redelivered.Increment(static_cast<double>(result_.redelivered));
    metrics_->inputs_unreadable.Increment(static_cast<double>(result_.unreadable));
    metrics_->signals_published.Increment(static_cast<double>(result_.signals.size()));
  }

 private:
  BatchResult result_;
  ProfileStore* store_;
  ReferenceMetrics* metrics_;
};

grpc::Status ToGrpc(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kOk: return grpc::Status::OK;
    case absl::StatusCode::kInvalidArgument: return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(s.message()));
    case absl::StatusCode::kNotFound: return grpc::Status(grpc::StatusCode::NOT_FOUND, std::string(s.message()));
    case absl::StatusCode::kFailedPrecondition:
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, std::string(s.message()));
    case absl::StatusCode::kAborted: return grpc::Status(grpc::StatusCode::ABORTED, std::string(s.message()));
    default:
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, absl::StrCat("state store unavailable: ", s.message()));
  }
}

std::string NewRequestId() {
  static std::mutex mu;
  static std::mt19937_64 random(std::random_device{}());
  std::lock_guard<std::mutex> lock(mu);
  return absl::StrFormat("req-%016x", random());
}

}  // namespace

ReferenceMetrics::ReferenceMetrics(prometheus::Registry& registry)
    : inputs_applied(metrics::AddCounter(registry, "retention_reference_inputs_applied_total",
                                         "Events, health and churn signals folded into advocacy profiles")),
      inputs_redelivered(metrics::AddCounter(registry, "retention_reference_inputs_redelivered_total",
                                             "Inputs read again after a restart or rebalance; skipped")),
      inputs_unreadable(metrics::AddCounter(registry, "retention_reference_inputs_unreadable_total",
                                            "Records that could not be decoded; skipped")),
      signals_published(metrics::AddCounter(registry, "retention_reference_signals_published_total",
                                            "Advocacy signals from the streams (signing, eligible, at risk)")),
      request_changes(metrics::AddCounter(registry, "retention_reference_request_changes_total",
                                          "Reference requests created or moved, each published")),
      batch_seconds(metrics::AddLatencyHistogram(registry, "retention_reference_batch_seconds",
                                                 "Time from poll to committed offsets, per batch")),
      find_seconds(metrics::AddLatencyHistogram(registry, "retention_reference_find_seconds",
                                                "FindReferences latency in the service")),
      consumer_lag(metrics::AddGauge(registry, "retention_reference_consumer_lag", "Records not yet read")) {}

absl::StatusOr<std::unique_ptr<pipeline::BatchWork>> ReferenceBatchProcessor::Process(
    const std::vector<kafka::ConsumedRecord>& records, absl::Time now) {
  auto result = engine_->Process(records, now);
  if (!result.ok()) return result.status();
  return std::make_unique<ReferenceBatch>(std::move(*result), store_, metrics_);
}

StorePool::StorePool(const redis::RedisOptions& options, int size) {
  for (int i = 0; i < size; ++i) {
    auto slot = std::make_unique<Slot>();
    slot->redis = std::make_unique<redis::RedisClient>(options);
    slot->store = std::make_unique<RedisReferenceStore>(slot->redis.get());
    slots_.push_back(std::move(slot));
  }
}

StorePool::Lease StorePool::Get() {
  Slot& slot = *slots_[next_.fetch_add(1) % slots_.size()];
  return Lease(slot.mu, slot.store.get());
}

absl::StatusOr<v1::AdvocacyProfile> ReferenceGrpcService::Profile(StorePool::Lease& store, const std::string& account) {
  auto states = store->Load({account});
  if (!states.ok()) return states.status();
  const ReferenceAccountState& state = (*states)[account];
  if (state.profile().account_id().empty()) return absl::NotFoundError(absl::StrCat("account ", account, " not seen"));
  auto requests = store->ForAccounts({account});
  if (!requests.ok()) return requests.status();
  return Evaluate(settings_.policy, state.profile(), (*requests)[account], absl::Now());
}

grpc::Status ReferenceGrpcService::FindReferences(grpc::ServerContext*, const v1::FindReferencesRequest* request,
                                                  v1::FindReferencesResponse* response) {
  const absl::Time start = absl::Now();
  if (request->limit() < 0 || request->limit() > 100) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, absl::StrCat("limit must be 0-100, got ", request->limit()));
  }
  const int limit = request->limit() == 0 ? 10 : request->limit();
  absl::StatusOr<std::map<std::string, ReferenceAccountState>> states;
  absl::StatusOr<std::map<std::string, std::vector<v1::ReferenceRequest>>> requests;
  {
    StorePool::Lease store = stores_->Get();
    auto accounts = store->StreamEligible();
    if (!accounts.ok()) return ToGrpc(accounts.status());
    states = store->Load(accounts->eligible);
    if (!states.ok()) return ToGrpc(states.status());
    // Requests only of the candidates ever asked: most never were.
    std::sort(accounts->eligible.begin(), accounts->eligible.end());
    std::vector<std::string> asked;
    for (const std::string& a : accounts->asked) {
      if (std::binary_search(accounts->eligible.begin(), accounts->eligible.end(), a)) asked.push_back(a);
    }
    requests = store->ForAccounts(asked);
    if (!requests.ok()) return ToGrpc(requests.status());
  }
  const absl::Time now = absl::Now();
  // Score every eligible account; explain only those returned.
  std::vector<std::pair<double, v1::AdvocacyProfile>> scored;
  static const std::vector<v1::ReferenceRequest> kNone;
  for (const auto& [account, state] : *states) {
    // The index is the pipeline's view; the profile and the requests decide.
    const auto asked = requests->find(account);
    v1::AdvocacyProfile p =
        Evaluate(settings_.policy, state.profile(), asked == requests->end() ? kNone : asked->second, now);
    if (!p.eligible()) continue;
    const double score = Score(settings_.policy, request->criteria(), p, now);
    scored.emplace_back(score, std::move(p));
  }
  const size_t shown = std::min(scored.size(), static_cast<size_t>(limit));
  std::partial_sort(scored.begin(), scored.begin() + shown, scored.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second.account_id() < b.second.account_id();
  });
  response->set_eligible_accounts(static_cast<int32_t>(scored.size()));
  for (size_t i = 0; i < shown; ++i) {
    v1::ReferenceCandidate c = Rank(settings_.policy, request->criteria(), std::move(scored[i].second), now);
    c.set_rank(static_cast<int32_t>(i + 1));
    *response->add_candidates() = std::move(c);
  }
  metrics_->find_seconds.Observe(absl::ToDoubleSeconds(absl::Now() - start));
  return grpc::Status::OK;
}

grpc::Status ReferenceGrpcService::Announce(const v1::ReferenceRequest& request, const v1::AdvocacyProfile& profile) {
  v1::AdvocacySignal s;
  s.set_account_id(request.account_id());
  s.set_kind(v1::AdvocacySignal::REQUEST_CHANGED);
  s.set_reason(absl::StrCat("request ", request.request_id(), " ", v1::ReferenceRequest::State_Name(request.state())));
  *s.mutable_profile() = profile;
  *s.mutable_request() = request;
  s.set_trigger_id(absl::StrCat(request.request_id(), "#", request.history_size()));
  s.set_policy_version(settings_.policy.version());
  // The change is recorded; its event must follow. Retried here, and reported if the
  // broker stays away (the caller may retry UpdateRequest's read with GetRequest).
  absl::Status published;
  for (int attempt = 0; attempt < 3; ++attempt) {
    published = producer_->ProduceAndWait({SignalRecord(settings_.advocacy_topic, s, absl::Now())},
                                          settings_.publish_timeout);
    if (published.ok()) {
      metrics_->request_changes.Increment();
      return grpc::Status::OK;
    }
  }
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      absl::StrCat("request ", request.request_id(), " was recorded but its event could not be published: ",
                                   published.message()));
}

grpc::Status ReferenceGrpcService::CreateRequest(grpc::ServerContext*, const v1::CreateRequestRequest* create,
                                                 v1::ReferenceRequest* response) {
  if (auto s = CheckCreate(*create); !s.ok()) return ToGrpc(s);
  v1::AdvocacyProfile profile;
  {
    std::lock_guard<std::mutex> serial(requests_mu_);
    StorePool::Lease store = stores_->Get();
    auto evaluated = Profile(store, create->account_id());
    if (!evaluated.ok()) return ToGrpc(evaluated.status());
    profile = std::move(*evaluated);
    // Protecting advocates from fatigue is the point: an ineligible account is not asked.
    if (!profile.eligible()) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          absl::StrCat("account ", create->account_id(), " is not eligible: ",
                                       absl::StrJoin(profile.ineligible_reasons(), "; ")));
    }
    const std::string contact = create->contact_id().empty() ? ContactToAsk(profile) : create->contact_id();
    *response = NewRequest(*create, NewRequestId(), contact, absl::Now());
    if (auto s = store->Create(*response); !s.ok()) return ToGrpc(s);
  }
  return Announce(*response, profile);
}

grpc::Status ReferenceGrpcService::UpdateRequest(grpc::ServerContext*, const v1::UpdateRequestRequest* update,
                                                 v1::ReferenceRequest* response) {
  if (update->request_id().empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "request_id is required");
  v1::AdvocacyProfile profile;
  {
    std::lock_guard<std::mutex> serial(requests_mu_);
    StorePool::Lease store = stores_->Get();
    absl::Status replaced;
    for (int attempt = 0; attempt < 3; ++attempt) {  // another replica may move it meanwhile
      auto current = store->Get(update->request_id());
      if (!current.ok()) return ToGrpc(current.status());
      auto moved = Transition(*current, *update, absl::Now());
      if (!moved.ok()) return ToGrpc(moved.status());
      replaced = store->Replace(*current, *moved);
      if (replaced.ok()) {
        *response = std::move(*moved);
        break;
      }
      if (replaced.code() != absl::StatusCode::kAborted) return ToGrpc(replaced);
    }
    if (!replaced.ok()) return ToGrpc(replaced);
    auto evaluated = Profile(store, response->account_id());
    if (evaluated.ok()) profile = std::move(*evaluated);
  }
  return Announce(*response, profile);
}

grpc::Status ReferenceGrpcService::GetRequest(grpc::ServerContext*, const v1::GetRequestRequest* request,
                                              v1::ReferenceRequest* response) {
  if (request->request_id().empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "request_id is required");
  StorePool::Lease store = stores_->Get();
  auto found = store->Get(request->request_id());
  if (!found.ok()) return ToGrpc(found.status());
  *response = std::move(*found);
  return grpc::Status::OK;
}

grpc::Status ReferenceGrpcService::GetAdvocacyProfile(grpc::ServerContext*, const v1::GetAdvocacyProfileRequest* request,
                                                      v1::AdvocacyProfile* response) {
  if (request->account_id().empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "account_id is required");
  StorePool::Lease store = stores_->Get();
  auto profile = Profile(store, request->account_id());
  if (!profile.ok()) return ToGrpc(profile.status());
  *response = std::move(*profile);
  return grpc::Status::OK;
}

grpc::Status ReferenceGrpcService::WatchAdvocacy(grpc::ServerContext* context, const v1::WatchAdvocacyRequest* request,
                                                 grpc::ServerWriter<v1::AdvocacySignal>* writer) {
  const std::vector<int> kinds(request->kinds().begin(), request->kinds().end());
  return grpc_server::StreamFromHub<v1::AdvocacySignal>(
      context, hub_,
      [kinds](const v1::AdvocacySignal& s) {
        return kinds.empty() || std::find(kinds.begin(), kinds.end(), s.kind()) != kinds.end();
      },
      writer);
}

}  // namespace retention::reference
