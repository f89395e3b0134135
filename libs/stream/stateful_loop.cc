#include "libs/stream/stateful_loop.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "libs/kafka/partitioner.h"
#include "libs/log/log.h"
#include "libs/metrics/metrics.h"
#include "libs/status/backoff.h"
#include "libs/stream/quarantine.h"

namespace retention::stream {
namespace {

// librdkafka's OFFSET_BEGINNING: the oldest retained record.
constexpr int64_t kOffsetBeginning = -2;

std::string RecoverHint(const std::string& service) {
  return absl::StrCat("run `retentionctl rebuild ", service,
                      "` to rebuild it from the retained topics, or restore Redis from a backup taken after the "
                      "last write");
}

}  // namespace

LoopMetrics::LoopMetrics(prometheus::Registry& registry, const std::string& prefix, const std::string& service)
    : inputs_applied(metrics::AddCounter(registry, prefix + "_inputs_applied_total",
                                         "Inputs (events, signals, decisions) folded into account states")),
      ticks(metrics::AddCounter(registry, prefix + "_ticks_total",
                                "Account re-evaluations because time passed (silence grows, windows slide)")),
      signals_published(metrics::AddCounter(registry, prefix + "_signals_published_total", "Signals published")),
      due_accounts(metrics::AddCounter(registry, prefix + "_due_accounts_total",
                                       "Accounts the due index gave to ticks")),
      due_now(metrics::AddGauge(registry, prefix + "_due_now",
                                "Accounts found due at the latest turn (0: re-evaluations are up to date)")),
      accounts_touched(metrics::AddCounter(registry, prefix + "_accounts_touched_total",
                                           "Accounts loaded and folded, by records or ticks")),
      consumer_lag(metrics::AddGauge(registry, prefix + "_consumer_lag", "Records of the inputs not yet read")),
      state_lost(metrics::AddGauge(registry, "retention_state_lost",
                                   "1 while the service's state is lost or rolled back and it refuses to serve",
                                   {{"service", service}})),
      batch_seconds(metrics::AddLatencyHistogram(registry, prefix + "_batch_seconds",
                                                 "Time from poll to committed offsets, per batch")),
      sweep_seconds(metrics::AddLatencyHistogram(registry, prefix + "_sweep_seconds",
                                                 "Time of an idle turn that ticks the accounts due")),
      input_to_signal_seconds(metrics::AddLatencyHistogram(
          registry, prefix + "_input_to_signal_seconds",
          "From an input entering the suite to the signal it caused being delivered")),
      quarantined(prometheus::BuildCounter()
                      .Name("retention_quarantined_total")
                      .Help("Records and states a service set aside on its quarantine topic, by reason")
                      .Register(registry)),
      service(service) {}

StatefulLoop::StatefulLoop(LoopSettings settings, BatchFolder* folder, StateStore* store, kafka::Producer* producer,
                           const Clock* clock, dependency::DependencyHealth* dependencies, LoopMetrics* metrics,
                           Liveness* liveness, ServingGate* gate)
    : settings_(std::move(settings)),
      folder_(folder),
      store_(store),
      producer_(producer),
      clock_(clock),
      dependencies_(dependencies),
      metrics_(metrics),
      liveness_(liveness),
      gate_(gate) {}

void StatefulLoop::Attach(kafka::ConsumerOptions& options) {
  options.topics = settings_.input_topics;
  options.assignment = kafka::Assignment::kCoPartitioned;
  options.on_assigned = [this](std::vector<kafka::TopicPartitionOffset>& assigned) { OnAssigned(assigned); };
  options.on_revoked = [this](const std::vector<kafka::TopicPartition>& revoked, bool) { OnRevoked(revoked); };
}

std::vector<kafka::TopicPartition> StatefulLoop::TopicPartitions(int32_t partition) const {
  std::vector<kafka::TopicPartition> out;
  for (const std::string& t : settings_.input_topics) out.push_back({t, partition});
  return out;
}

void StatefulLoop::OnAssigned(std::vector<kafka::TopicPartitionOffset>& assigned) {
  for (const kafka::TopicPartitionOffset& tpo : assigned) {
    Owned& o = owned_[tpo.partition];
    o.topics_assigned.insert(tpo.topic);
    o.claimed = false;
  }
  std::set<int32_t> incomplete;
  for (const auto& [p, o] : owned_) {
    if (!o.claimed && o.topics_assigned.size() != settings_.input_topics.size()) incomplete.insert(p);
  }
  if (!incomplete.empty()) {
    // Only with an assignor other than range, or inputs of different partition counts.
    LOG_ERROR("partitions not co-partitioned: not every input topic's partition is assigned here")
        .Field("service", settings_.service)
        .Field("partitions", absl::StrJoin(incomplete, ","));
  }
}

void StatefulLoop::KeepReplayMarks(const Owned& o, Checkpoint& to) {
  to.replay_until.clear();
  for (const auto& [t, until] : o.silent_until) {
    if (to.offsets[t] < until) to.replay_until[t] = until;
  }
}

void StatefulLoop::OnRevoked(const std::vector<kafka::TopicPartition>& revoked) {
  for (const kafka::TopicPartition& tp : revoked) {
    auto it = owned_.find(tp.partition);
    if (it == owned_.end()) continue;
    it->second.topics_assigned.erase(tp.topic);
    it->second.claimed = false;
    if (it->second.topics_assigned.empty()) {
      owned_.erase(it);
      restored_.erase(tp.partition);
    }
  }
}

bool StatefulLoop::Retry(const char* dependency, const std::atomic<bool>& stop,
                         const std::function<absl::Status()>& step) {
  Backoff backoff(absl::Milliseconds(100), absl::Seconds(5));
  while (true) {
    liveness_->Beat();
    const absl::Status status = step();
    dependencies_->Report(dependency, status);
    if (status.ok()) return true;
    if (!backoff.Wait(stop)) return false;
  }
}

bool StatefulLoop::ClaimPending(const std::atomic<bool>& stop) {
  std::vector<int32_t> pending;
  for (const auto& [p, o] : owned_) {
    if (!o.claimed && o.topics_assigned.size() == settings_.input_topics.size()) pending.push_back(p);
  }
  if (pending.empty()) return true;
  std::vector<kafka::TopicPartition> tps;
  for (int32_t p : pending) {
    for (const auto& tp : TopicPartitions(p)) tps.push_back(tp);
  }
  consumer_->Pause(tps).IgnoreError();  // nothing is read before the claim
  auto claims = store_->Claim(pending);
  dependencies_->Report("redis", claims.status());
  if (!claims.ok()) return false;
  auto committed = consumer_->Committed(tps, absl::Seconds(10));
  dependencies_->Report("kafka", committed.status());
  if (!committed.ok()) return false;
  std::map<kafka::TopicPartition, int64_t> committed_at;
  for (const auto& tpo : *committed) committed_at[{tpo.topic, tpo.partition}] = tpo.offset;
  auto meta = store_->Meta();
  dependencies_->Report("redis", meta.status());
  if (!meta.ok()) return false;
  // A rebuild starts a new generation of signal sequences (see Emitted::sequence_base).
  absl::Time rebuilt;
  std::string unused;
  sequence_base_ = !meta->rebuild_requested.empty() &&
                           absl::ParseTime(absl::RFC3339_full, meta->rebuild_requested, &rebuilt, &unused)
                       ? absl::ToUnixSeconds(rebuilt) << 32
                       : 0;
  std::vector<kafka::TopicPartitionOffset> seeks;
  for (const PartitionClaim& claim : *claims) {
    const int32_t p = claim.partition;
    Owned& o = owned_[p];
    bool any_committed = false;
    for (const std::string& t : settings_.input_topics) any_committed |= committed_at[{t, p}] > 0;
    o.epoch = claim.epoch;
    o.checkpoint = claim.checkpoint;
    o.silent_until.clear();
    std::map<std::string, int64_t> start;
    if (claim.checkpoint.has_value()) {
      for (const std::string& t : settings_.input_topics) {
        const int64_t committed_offset = committed_at[{t, p}];
        auto stored = claim.checkpoint->offsets.find(t);
        if (stored == claim.checkpoint->offsets.end()) {
          start[t] = committed_offset >= 0 ? committed_offset : kOffsetBeginning;  // an input added since
        } else if (committed_offset >= 0 && stored->second < committed_offset &&
                   !(claim.checkpoint->replay_until.count(t) > 0 &&
                     committed_offset <= claim.checkpoint->replay_until.at(t))) {
          // (Behind the committed offset is fine only while a rebuild replays up to it.)
          Halt(p, absl::StrCat("its checkpoint says ", t, " was applied up to offset ", stored->second,
                               " but offset ", committed_offset,
                               " is committed: the stored state went back (Redis lost recent writes)"));
          return false;
        } else {
          start[t] = stored->second;
        }
      }
      o.clock = claim.checkpoint->clock;
      o.silent_until = claim.checkpoint->replay_until;
    } else if (any_committed) {
      if (meta->rebuild_requested.empty()) {
        Halt(p, "no checkpoint is stored although offsets are committed: the stored state is gone "
                "(Redis lost its data)");
        return false;
      }
      for (const std::string& t : settings_.input_topics) {
        start[t] = kOffsetBeginning;
        if (committed_at[{t, p}] > 0) o.silent_until[t] = committed_at[{t, p}];
      }
      o.clock = absl::InfinitePast();
      LOG_WARN("rebuilding partition from the beginning of its topics")
          .Field("service", settings_.service)
          .Field("partition", p)
          .Field("requested", meta->rebuild_requested);
    } else {
      for (const std::string& t : settings_.input_topics) start[t] = kOffsetBeginning;  // a new deployment
      o.clock = absl::InfinitePast();
    }
    for (const auto& [t, offset] : start) seeks.push_back({t, p, offset});
    restored_.erase(p);
    if (!o.silent_until.empty() && settings_.read_own_signals) {
      // Rebuilding: what subscribers last saw of each account comes back first.
      std::map<std::string, std::string>& restored = restored_[p];
      if (!Retry("kafka", stop, [&] {
            restored.clear();
            return settings_.read_own_signals(p, [&](const std::vector<kafka::ConsumedRecord>& batch) {
              folder_->RestorePublished(batch, restored);
              return absl::OkStatus();
            });
          })) {
        return false;
      }
    }
    o.claimed = true;
  }
  if (!Retry("kafka", stop, [&] { return consumer_->Seek(seeks); })) return false;
  consumer_->Resume(tps).IgnoreError();
  LOG_INFO("partitions claimed").Field("service", settings_.service).Field("partitions", absl::StrJoin(pending, ","));
  return true;
}

void StatefulLoop::Halt(int32_t partition, const std::string& why) {
  if (!lost_) {
    lost_ = true;
    lost_reason_ = absl::StrCat("the state of partition ", partition, " is lost: ", why);
    metrics_->state_lost.Set(1);
    gate_->Close(absl::StrCat(settings_.service, " refuses to serve: ", lost_reason_, "; ", RecoverHint(settings_.service)));
    dependencies_->Report("state",
                          absl::FailedPreconditionError(absl::StrCat(lost_reason_, "; ", RecoverHint(settings_.service))));
    last_lost_log_ = absl::InfinitePast();
  }
  std::vector<kafka::TopicPartition> all;
  for (auto& [p, o] : owned_) {
    o.claimed = false;
    for (const auto& tp : TopicPartitions(p)) all.push_back(tp);
  }
  if (consumer_ != nullptr) consumer_->Pause(all).IgnoreError();
}

void StatefulLoop::Drop(int32_t partition, const std::string& why) {
  LOG_WARN("partition taken by another replica; dropping it")
      .Field("service", settings_.service)
      .Field("partition", partition)
      .Field("detail", why);
  // Not claimed again until Kafka assigns it anew: claiming would fence the new owner.
  owned_.erase(partition);
  consumer_->Pause(TopicPartitions(partition)).IgnoreError();
}

bool StatefulLoop::Caught(int32_t partition, const std::map<kafka::TopicPartition, int64_t>& lags) const {
  for (const auto& tp : TopicPartitions(partition)) {
    auto it = lags.find(tp);
    if (it == lags.end() || it->second > 0) return false;
  }
  return true;
}

void StatefulLoop::Run(kafka::Consumer& consumer, const std::atomic<bool>& stop) {
  while (!stop.load()) Step(consumer, stop);
}

void StatefulLoop::Step(kafka::Consumer& consumer, const std::atomic<bool>& stop) {
  consumer_ = &consumer;
  if (poll_backoff_ == nullptr) poll_backoff_ = std::make_unique<Backoff>(absl::Milliseconds(100), absl::Seconds(5));
  liveness_->Beat();
  if (lost_) {
    WhileLost(stop);
    return;
  }
  ClaimPending(stop);
  if (lost_) return;
  auto batch = consumer.PollBatch(settings_.max_batch, settings_.poll_wait);
  metrics_->consumer_lag.Set(static_cast<double>(consumer.Lag()));
  if (!batch.ok()) {
    dependencies_->Report("kafka", batch.status());
    poll_backoff_->Wait(stop);
    return;
  }
  poll_backoff_->Reset();
  if (batch->empty()) {
    Idle(stop);
    return;
  }
  ProcessBatch(*batch, stop);
}

void StatefulLoop::ProcessBatch(std::vector<kafka::ConsumedRecord>& records, const std::atomic<bool>& stop) {
  const absl::Time wall = clock_->Now();
  const std::vector<absl::StatusOr<RecordInfo>> infos = folder_->Inspect(records);
  std::map<int32_t, PartitionPlan> plans;
  std::map<int32_t, Checkpoint> next;
  std::vector<kafka::OutgoingRecord> quarantined;
  std::set<kafka::TopicPartition> unclaimed;
  std::vector<std::string> accounts;
  const auto quarantine = [&](const kafka::ConsumedRecord& r, v1::RejectReason reason, const std::string& detail) {
    quarantined.push_back(QuarantineRecord(settings_.quarantine_topic, settings_.service, r, reason, detail, wall));
    metrics_->quarantined.Add({{"service", settings_.service}, {"reason", v1::RejectReason_Name(reason)}}).Increment();
  };
  // A partition replaying history after a rebuild publishes nothing; its records that
  // are new (past what was committed before the loss) wait for the next batch, which
  // publishes as usual.
  const auto replayed = [this](const kafka::ConsumedRecord& r) {
    const Owned& o = owned_[r.partition];
    auto until = o.silent_until.find(r.topic);
    return until != o.silent_until.end() && r.offset < until->second;
  };
  std::set<int32_t> replaying;
  for (const kafka::ConsumedRecord& r : records) {
    auto owned = owned_.find(r.partition);
    if (owned != owned_.end() && owned->second.claimed && replayed(r)) replaying.insert(r.partition);
  }
  std::map<kafka::TopicPartition, int64_t> deferred;
  for (size_t i = 0; i < records.size(); ++i) {
    const kafka::ConsumedRecord& r = records[i];
    auto owned = owned_.find(r.partition);
    if (owned == owned_.end() || !owned->second.claimed) {
      unclaimed.insert({r.topic, r.partition});  // read again once claimed
      continue;
    }
    if (replaying.count(r.partition) > 0 && !replayed(r)) {
      auto [it, inserted] = deferred.try_emplace({r.topic, r.partition}, r.offset);
      if (!inserted) it->second = std::min(it->second, r.offset);
      continue;
    }
    Owned& o = owned->second;
    auto [plan_it, first] = plans.try_emplace(r.partition);
    PartitionPlan& plan = plan_it->second;
    Checkpoint& to = next[r.partition];
    if (first) {
      plan.partition = r.partition;
      plan.start_clock = o.clock;
      plan.end_clock = o.clock;
      plan.silent = replaying.count(r.partition) > 0;
      if (o.checkpoint.has_value()) to = *o.checkpoint;
      ++to.sequence;
    }
    to.offsets[r.topic] = std::max(to.offsets[r.topic], r.offset + 1);
    const absl::StatusOr<RecordInfo>& info = infos[i];
    if (!info.ok()) {
      quarantine(r, v1::UNDECODABLE, std::string(info.status().message()));
      continue;
    }
    if (settings_.partitions > 0 && kafka::PartitionForKey(info->account, settings_.partitions) != r.partition) {
      quarantine(r, v1::WRONG_PARTITION,
                 absl::StrCat("account ", Clip(info->account), " belongs to partition ",
                              kafka::PartitionForKey(info->account, settings_.partitions), ", not ", r.partition,
                              ": its producer does not partition keys as the suite does (murmur2)"));
      continue;
    }
    // Against real time, whatever clock the service runs on: nothing happens in the future.
    if (info->event_time > absl::Now() + settings_.max_future_skew) {
      quarantine(r, v1::FUTURE_TIMESTAMP,
                 absl::StrCat("dated ", absl::FormatTime(absl::RFC3339_sec, info->event_time, absl::UTCTimeZone()),
                              ", more than ", absl::FormatDuration(settings_.max_future_skew), " ahead of this clock"));
      continue;
    }
    plan.records.push_back(i);
    accounts.push_back(info->account);
    plan.end_clock = std::max(plan.end_clock, info->event_time);
  }
  if (!unclaimed.empty()) {
    consumer_->Pause(std::vector<kafka::TopicPartition>(unclaimed.begin(), unclaimed.end())).IgnoreError();
  }
  if (!deferred.empty()) {
    std::vector<kafka::TopicPartitionOffset> seeks;
    for (const auto& [tp, offset] : deferred) seeks.push_back({tp.topic, tp.partition, offset});
    consumer_->Seek(seeks).IgnoreError();
  }
  if (plans.empty()) return;
  const auto lags = consumer_->Lags();
  for (auto& [p, plan] : plans) {
    if (!plan.silent && Caught(p, lags)) plan.end_clock = std::max(plan.end_clock, wall);
    next[p].clock = plan.end_clock;
    KeepReplayMarks(owned_[p], next[p]);
  }
  Complete(std::move(plans), records, accounts, std::move(quarantined), next, stop);
}

void StatefulLoop::Idle(const std::atomic<bool>& stop) {
  const absl::Time now = absl::Now();
  if (now - last_verify_ >= settings_.verify_interval) {
    last_verify_ = now;
    std::vector<PartitionWrite> current;
    for (const auto& [p, o] : owned_) {
      if (o.claimed) current.push_back({p, o.epoch, o.checkpoint, {}});
    }
    auto verified = store_->Verify(current);
    dependencies_->Report("redis", verified.status());
    if (verified.ok() && verified->outcome == WriteOutcome::kLost) {
      Halt(verified->partition, verified->detail);
      return;
    }
    if (verified.ok() && verified->outcome == WriteOutcome::kFenced) Drop(verified->partition, verified->detail);
    if (!dependencies_->up("kafka")) dependencies_->Report("kafka", consumer_->CheckBrokers(absl::Seconds(2)));
  }
  if (now - last_tick_ < settings_.tick_interval) return;
  last_tick_ = now;
  const absl::Time wall = clock_->Now();
  const auto lags = consumer_->Lags();
  const auto positions = consumer_->Positions();
  std::map<int32_t, PartitionPlan> plans;
  std::map<int32_t, Checkpoint> next;
  for (auto& [p, o] : owned_) {
    if (!o.claimed || !Caught(p, lags)) continue;
    PartitionPlan& plan = plans[p];
    plan.partition = p;
    plan.start_clock = o.clock;
    plan.end_clock = std::max(o.clock, wall);
    Checkpoint& to = next[p];
    if (o.checkpoint.has_value()) to = *o.checkpoint;
    ++to.sequence;
    to.clock = plan.end_clock;
    // Past transaction markers at the end: no record shows them, the position does.
    for (const std::string& t : settings_.input_topics) {
      auto position = positions.find({t, p});
      if (position == positions.end() || position->second < 0) continue;
      int64_t& offset = to.offsets[t];
      offset = std::max(offset, position->second);
    }
    for (const auto& [t, until] : o.silent_until) {
      if (to.offsets[t] < until) plan.silent = true;
    }
    KeepReplayMarks(o, to);
  }
  if (plans.empty()) return;
  Complete(std::move(plans), {}, {}, {}, next, stop);
}

void StatefulLoop::Complete(std::map<int32_t, PartitionPlan> plans, const std::vector<kafka::ConsumedRecord>& records,
                            const std::vector<std::string>& record_accounts,
                            std::vector<kafka::OutgoingRecord> quarantined, const std::map<int32_t, Checkpoint>& next,
                            const std::atomic<bool>& stop) {
  const absl::Time started = absl::Now();
  const bool idle = records.empty();
  int64_t due_count = 0;
  for (auto& [p, plan] : plans) {
    const size_t limit = settings_.max_due_per_partition;
    if (!Retry("redis", stop, [&] {
          auto due = store_->Due(p, plan.end_clock, limit);
          if (due.ok()) plan.due = std::move(*due);
          return due.status();
        })) {
      return;
    }
    due_count += static_cast<int64_t>(plan.due.size());
  }
  metrics_->due_now.Set(static_cast<double>(due_count));
  if (idle) {
    // Nothing due and no marker passed: only the clocks move (in memory; written with
    // the next write).
    bool moved = false;
    for (const auto& [p, plan] : plans) {
      const Owned& o = owned_[p];
      const Checkpoint& to = next.at(p);
      moved = moved || !plan.due.empty() ||
              (o.checkpoint.has_value() ? o.checkpoint->offsets != to.offsets : !to.offsets.empty());
    }
    if (!moved) {
      for (const auto& [p, plan] : plans) owned_[p].clock = plan.end_clock;
      return;
    }
  }
  FoldPlan fold;
  fold.records = &records;
  fold.sequence_base = sequence_base_;
  fold.fresh_sequence_base = absl::ToUnixSeconds(clock_->Now()) << 32;
  std::map<std::string, std::string> stored;
  std::vector<std::string> wanted = record_accounts;
  for (const auto& [p, plan] : plans) wanted.insert(wanted.end(), plan.due.begin(), plan.due.end());
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  if (!Retry("redis", stop, [&] {
        auto loaded = store_->Load(wanted);
        if (loaded.ok()) stored = std::move(*loaded);
        return loaded.status();
      })) {
    return;
  }
  for (const std::string& account : wanted) {
    if (stored.count(account) > 0) continue;
    for (auto& [p, restored] : restored_) {
      auto it = restored.find(account);
      if (it != restored.end()) stored[account] = it->second;
    }
  }
  fold.stored = std::move(stored);
  for (auto& [p, plan] : plans) fold.partitions.push_back(std::move(plan));
  FoldResult result = folder_->Fold(fold);

  const absl::Time wall = clock_->Now();
  for (const UnreadableState& u : result.unreadable) {
    LOG_WARN("unreadable account state quarantined; the account restarts from a fresh state")
        .Field("service", settings_.service)
        .Field("account", Clip(u.account))
        .Field("bytes", static_cast<int64_t>(u.bytes.size()));
    quarantined.push_back(QuarantineState(settings_.quarantine_topic, settings_.service, u.account, u.bytes, wall));
    metrics_->quarantined.Add({{"service", settings_.service}, {"reason", "UNREADABLE_STATE"}}).Increment();
  }
  std::vector<kafka::OutgoingRecord> outgoing = std::move(result.signals);
  const size_t signal_count = outgoing.size();
  for (auto& q : quarantined) outgoing.push_back(std::move(q));
  if (!outgoing.empty() && !Retry("kafka", stop, [&] {
        absl::Status published = producer_->ProduceAndWait(outgoing, settings_.publish_timeout);
        if (!absl::IsInvalidArgument(published)) return published;
        // One record Kafka will never take (too large): set it aside, publish the rest.
        for (kafka::OutgoingRecord& r : outgoing) {
          absl::Status one = producer_->ProduceAndWait({r}, settings_.publish_timeout);
          if (absl::IsInvalidArgument(one)) {
            LOG_ERROR("signal refused by Kafka; quarantined").Field("topic", r.topic).Field("error", one.ToString());
            metrics_->quarantined.Add({{"service", settings_.service}, {"reason", "OUTPUT_REFUSED"}}).Increment();
            r = QuarantineOutput(settings_.quarantine_topic, settings_.service, r, one.message(), wall);
            one = producer_->ProduceAndWait({r}, settings_.publish_timeout);
          }
          if (!one.ok()) return one;
        }
        return absl::OkStatus();
      })) {
    return;
  }
  const absl::Time delivered = absl::Now();

  BatchWrite write;
  for (const PartitionPlan& plan : fold.partitions) {
    const Owned& o = owned_[plan.partition];
    write.partitions.push_back({plan.partition, o.epoch, o.checkpoint, next.at(plan.partition)});
  }
  write.accounts = std::move(result.writes);
  write.counters = std::move(result.counters);
  WriteResult written;
  if (!Retry("redis", stop, [&] {
        auto w = store_->Write(write);
        if (w.ok()) written = *w;
        return w.status();
      })) {
    return;
  }
  if (written.outcome == WriteOutcome::kLost) {
    Halt(written.partition, written.detail);
    return;
  }
  if (written.outcome == WriteOutcome::kFenced) {
    Drop(written.partition, written.detail);
    // Nothing of the batch was written: its other partitions read it again.
    std::vector<kafka::TopicPartitionOffset> rewind;
    for (const PartitionWrite& pw : write.partitions) {
      if (pw.partition == written.partition || owned_.count(pw.partition) == 0) continue;
      for (const std::string& t : settings_.input_topics) {
        const int64_t from = pw.from.has_value() && pw.from->offsets.count(t) ? pw.from->offsets.at(t) : kOffsetBeginning;
        rewind.push_back({t, pw.partition, from});
      }
    }
    consumer_->Seek(rewind).IgnoreError();
    return;
  }
  std::vector<kafka::TopicPartitionOffset> commit;
  for (const AccountWrite& w : result.writes) {
    auto restored = restored_.find(w.partition);
    if (restored != restored_.end()) restored->second.erase(w.account);  // stored now
  }
  for (const PartitionWrite& pw : write.partitions) {
    Owned& o = owned_[pw.partition];
    o.checkpoint = pw.to;
    o.clock = pw.to.clock;
    if (pw.to.replay_until.empty()) restored_.erase(pw.partition);  // the replay is over
    for (const auto& [t, offset] : pw.to.offsets) commit.push_back({t, pw.partition, offset});
  }
  Retry("kafka", stop, [&] {
    absl::Status committed = consumer_->Commit(commit);
    // A rebalance took partitions meanwhile: their checkpoints say where to resume.
    return absl::IsFailedPrecondition(committed) ? absl::OkStatus() : committed;
  });

  metrics_->inputs_applied.Increment(static_cast<double>(result.applied));
  metrics_->ticks.Increment(static_cast<double>(result.ticks));
  metrics_->signals_published.Increment(static_cast<double>(signal_count));
  metrics_->due_accounts.Increment(static_cast<double>(due_count));
  metrics_->accounts_touched.Increment(static_cast<double>(result.accounts_touched));
  for (absl::Time received : result.trigger_received_at) {
    if (received == absl::InfinitePast()) continue;
    metrics_->input_to_signal_seconds.Observe(std::max(0.0, absl::ToDoubleSeconds(delivered - received)));
  }
  (idle ? metrics_->sweep_seconds : metrics_->batch_seconds).Observe(absl::ToDoubleSeconds(absl::Now() - started));
}

void StatefulLoop::WhileLost(const std::atomic<bool>& stop) {
  // Polling keeps the group membership (its partitions are paused, so nothing comes).
  auto batch = consumer_->PollBatch(settings_.max_batch, settings_.poll_wait);
  if (!batch.ok()) dependencies_->Report("kafka", batch.status());
  const absl::Time now = absl::Now();
  if (now - last_lost_log_ >= absl::Seconds(30)) {
    last_lost_log_ = now;
    LOG_ERROR("state lost; not serving")
        .Field("service", settings_.service)
        .Field("why", lost_reason_)
        .Field("recover", RecoverHint(settings_.service));
  }
  if (now - last_verify_ < settings_.verify_interval) return;
  last_verify_ = now;
  auto meta = store_->Meta();
  dependencies_->Report("redis", meta.status());
  if (!meta.ok() || meta->rebuild_requested.empty()) return;
  LOG_WARN("rebuild requested; claiming the partitions again")
      .Field("service", settings_.service)
      .Field("requested", meta->rebuild_requested);
  lost_ = false;
  lost_reason_.clear();
  metrics_->state_lost.Set(0);
  gate_->Open();
  dependencies_->Report("state", absl::OkStatus());
  for (auto& [p, o] : owned_) o.claimed = false;
  (void)stop;
}

}  // namespace retention::stream
