#include "services/churn-risk/service.h"

#include <algorithm>

#include "libs/grpc/stream_hub.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/metrics/metrics_server.h"

namespace retention::churn {
namespace {

class ChurnBatch : public pipeline::BatchWork {
 public:
  ChurnBatch(BatchResult result, ChurnStore* store, ChurnMetrics* metrics)
      : result_(std::move(result)), store_(store), metrics_(metrics) {}

  const std::vector<kafka::OutgoingRecord>& signals() const override { return result_.signals; }
  absl::Status Save() override { return store_->Save(result_.states, result_.risks, result_.outcomes); }
  void Committed(absl::Time delivered) override {
    metrics_->inputs_applied.Increment(static_cast<double>(result_.applied));
    metrics_->inputs_redelivered.Increment(static_cast<double>(result_.redelivered));
    metrics_->inputs_unreadable.Increment(static_cast<double>(result_.unreadable));
    metrics_->signals_published.Increment(static_cast<double>(result_.signals.size()));
    for (const absl::Time t : result_.trigger_received_at) {
      metrics_->input_to_signal_seconds.Observe(std::max(0.0, absl::ToDoubleSeconds(delivered - t)));
    }
  }

 private:
  BatchResult result_;
  ChurnStore* store_;
  ChurnMetrics* metrics_;
};

grpc::Status Invalid(const std::string& message) { return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message); }

grpc::Status Unavailable(const absl::Status& status) {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, absl::StrCat("state store unavailable: ", status.message()));
}

bool IsMonth(const std::string& period) {
  int year = 0, month = 0;
  return period.size() == 7 && period[4] == '-' && absl::SimpleAtoi(period.substr(0, 4), &year) &&
         absl::SimpleAtoi(period.substr(5), &month) && month >= 1 && month <= 12;
}

}  // namespace

ChurnMetrics::ChurnMetrics(prometheus::Registry& registry)
    : inputs_applied(metrics::AddCounter(registry, "retention_churn_inputs_applied_total",
                                         "Events and health signals folded into account state")),
      inputs_redelivered(metrics::AddCounter(registry, "retention_churn_inputs_redelivered_total",
                                             "Inputs read again after a restart or rebalance; skipped")),
      inputs_unreadable(metrics::AddCounter(registry, "retention_churn_inputs_unreadable_total",
                                            "Records that are neither InteractionEvents nor HealthSignals")),
      signals_published(metrics::AddCounter(registry, "retention_churn_signals_published_total",
                                            "Churn-risk signals published on a meaningful change")),
      batch_seconds(metrics::AddLatencyHistogram(registry, "retention_churn_batch_seconds",
                                                 "Time from poll to committed offsets, per batch")),
      input_to_signal_seconds(metrics::AddLatencyHistogram(registry, "retention_churn_input_to_signal_seconds",
                                                           "From the trigger entering the suite to the signal's delivery")),
      consumer_lag(metrics::AddGauge(registry, "retention_churn_consumer_lag", "Records not yet read")) {}

absl::StatusOr<std::unique_ptr<pipeline::BatchWork>> ChurnBatchProcessor::Process(
    const std::vector<kafka::ConsumedRecord>& records, absl::Time now) {
  auto result = engine_->Process(records, now);
  if (!result.ok()) return result.status();
  return std::make_unique<ChurnBatch>(std::move(*result), store_, metrics_);
}

bool Matches(const v1::RiskFilter& filter, const v1::ChurnRisk& risk) {
  if (risk.tier() < filter.min_tier()) return false;
  return filter.segments().empty() ||
         std::find(filter.segments().begin(), filter.segments().end(), risk.segment()) != filter.segments().end();
}

grpc::Status ChurnGrpcService::GetRisk(grpc::ServerContext*, const v1::GetRiskRequest* request,
                                       v1::ChurnRisk* response) {
  if (request->account_id().empty()) return Invalid("account_id is required");
  absl::StatusOr<std::map<std::string, churnrisk::ChurnAccountState>> loaded;
  {
    std::lock_guard<std::mutex> lock(mu_);
    loaded = store_->Load({request->account_id()});
  }
  if (!loaded.ok()) return Unavailable(loaded.status());
  const churnrisk::ChurnAccountState& state = (*loaded)[request->account_id()];
  if (state.activity().account_id().empty()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, absl::StrCat("account ", request->account_id(), " not seen"));
  }
  *response = Assess(*model_, state);
  return grpc::Status::OK;
}

grpc::Status ChurnGrpcService::ListAtRisk(grpc::ServerContext*, const v1::ListAtRiskRequest* request,
                                          v1::ListAtRiskResponse* response) {
  if (request->page_size() < 0 || request->page_size() > 1000) {
    return Invalid(absl::StrCat("page_size must be 0-1000, got ", request->page_size()));
  }
  const int64_t page_size = request->page_size() == 0 ? 100 : request->page_size();
  int64_t offset = 0;
  if (!request->page_token().empty() && (!absl::SimpleAtoi(request->page_token(), &offset) || offset < 0)) {
    return Invalid("page_token is not one that ListAtRisk returned");
  }
  const bool by_priority = request->order() == v1::ListAtRiskRequest::RETENTION_PRIORITY;
  constexpr int64_t kChunk = 500;
  while (response->risks_size() < page_size) {
    absl::StatusOr<std::vector<v1::ChurnRisk>> chunk;
    {
      std::lock_guard<std::mutex> lock(mu_);
      chunk = store_->List(by_priority, offset, kChunk);
    }
    if (!chunk.ok()) return Unavailable(chunk.status());
    if (chunk->empty()) return grpc::Status::OK;
    for (v1::ChurnRisk& r : *chunk) {
      ++offset;
      if (!Matches(request->filter(), r)) continue;
      *response->add_risks() = std::move(r);
      if (response->risks_size() == page_size) break;
    }
    if (static_cast<int64_t>(chunk->size()) < kChunk && response->risks_size() < page_size) return grpc::Status::OK;
  }
  response->set_next_page_token(absl::StrCat(offset));
  return grpc::Status::OK;
}

grpc::Status ChurnGrpcService::StreamRisk(grpc::ServerContext* context, const v1::StreamRiskRequest* request,
                                          grpc::ServerWriter<v1::ChurnRiskSignal>* writer) {
  const v1::RiskFilter filter = request->filter();
  return grpc_server::StreamFromHub<v1::ChurnRiskSignal>(
      context, hub_, [filter](const v1::ChurnRiskSignal& s) { return Matches(filter, s.risk()); }, writer);
}

grpc::Status ChurnGrpcService::GetDefectionInsights(grpc::ServerContext*, const v1::GetDefectionInsightsRequest* request,
                                                    v1::DefectionInsights* response) {
  for (const std::string& period : request->periods()) {
    if (!IsMonth(period)) return Invalid(absl::StrCat("periods: expected YYYY-MM, got \"", period, "\""));
  }
  absl::StatusOr<std::vector<v1::DefectionInsight>> insights;
  {
    std::lock_guard<std::mutex> lock(mu_);
    insights = store_->Insights({request->segments().begin(), request->segments().end()},
                                {request->periods().begin(), request->periods().end()});
  }
  if (!insights.ok()) return Unavailable(insights.status());
  for (auto& i : *insights) *response->add_insights() = std::move(i);
  return grpc::Status::OK;
}

}  // namespace retention::churn
