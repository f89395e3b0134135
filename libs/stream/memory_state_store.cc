#include "libs/stream/memory_state_store.h"

#include "absl/strings/str_cat.h"

namespace retention::stream {

absl::Status MemoryStateStore::TakeFailure() {
  if (fail_next_ <= 0) return absl::OkStatus();
  --fail_next_;
  return absl::UnavailableError("state store unavailable (injected)");
}

void MemoryStateStore::FailNext(int count) {
  absl::MutexLock lock(&mu_);
  fail_next_ = count;
}

void MemoryStateStore::FailNextWriteAfterApplying() {
  absl::MutexLock lock(&mu_);
  fail_after_applying_ = true;
}

void MemoryStateStore::Lose() {
  absl::MutexLock lock(&mu_);
  data_ = Data();
}

MemoryStateStore::Data MemoryStateStore::Snapshot() {
  absl::MutexLock lock(&mu_);
  return data_;
}

void MemoryStateStore::Restore(Data data) {
  absl::MutexLock lock(&mu_);
  data_ = std::move(data);
}

void MemoryStateStore::RequestRebuild() {
  absl::MutexLock lock(&mu_);
  data_ = Data();
  data_.rebuild_requested = "requested";
}

absl::StatusOr<std::vector<PartitionClaim>> MemoryStateStore::Claim(const std::vector<int32_t>& partitions) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = TakeFailure(); !s.ok()) return s;
  std::vector<PartitionClaim> out;
  for (int32_t p : partitions) {
    PartitionClaim& claim = out.emplace_back();
    claim.partition = p;
    claim.epoch = ++data_.epochs[p];
    auto it = data_.checkpoints.find(p);
    if (it != data_.checkpoints.end()) {
      auto decoded = Checkpoint::Decode(it->second);
      if (!decoded.ok()) return decoded.status();
      claim.checkpoint = *decoded;
    }
  }
  return out;
}

absl::StatusOr<StoreMeta> MemoryStateStore::Meta() {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = TakeFailure(); !s.ok()) return s;
  return StoreMeta{data_.rebuild_requested};
}

absl::StatusOr<std::map<std::string, std::string>> MemoryStateStore::Load(const std::vector<std::string>& accounts) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = TakeFailure(); !s.ok()) return s;
  std::map<std::string, std::string> out;
  for (const std::string& a : accounts) {
    auto it = data_.states.find(a);
    if (it != data_.states.end()) out[a] = it->second;
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> MemoryStateStore::Due(int32_t partition, absl::Time up_to, size_t limit) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = TakeFailure(); !s.ok()) return s;
  std::vector<std::pair<absl::Time, std::string>> due;
  for (const auto& [account, at] : data_.due[partition]) {
    if (at <= up_to) due.emplace_back(at, account);
  }
  std::sort(due.begin(), due.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < due.size() && i < limit; ++i) out.push_back(due[i].second);
  return out;
}

WriteResult MemoryStateStore::Check(const std::vector<PartitionWrite>& partitions, bool for_write) {
  WriteResult result;
  size_t done = 0;
  for (const PartitionWrite& p : partitions) {
    result.partition = p.partition;
    auto epoch = data_.epochs.find(p.partition);
    if (epoch == data_.epochs.end()) {
      result.outcome = WriteOutcome::kLost;
      result.detail = "its epoch is missing";
      return result;
    }
    if (epoch->second != p.epoch) {
      result.outcome = epoch->second > p.epoch ? WriteOutcome::kFenced : WriteOutcome::kLost;
      result.detail = absl::StrCat("epoch ", epoch->second, " instead of ", p.epoch);
      return result;
    }
    auto stored = data_.checkpoints.find(p.partition);
    const std::string current = stored == data_.checkpoints.end() ? "" : stored->second;
    const std::string from = p.from.has_value() ? p.from->Encode() : "";
    if (for_write && current == p.to.Encode()) {
      ++done;
    } else if (current != from) {
      result.outcome = WriteOutcome::kLost;
      result.detail = absl::StrCat("its checkpoint is \"", current, "\", not \"", from, "\"");
      return result;
    }
  }
  result.partition = -1;
  if (!partitions.empty() && done == partitions.size()) result.outcome = WriteOutcome::kAlreadyApplied;
  if (done > 0 && done < partitions.size()) {
    result.outcome = WriteOutcome::kLost;
    result.detail = "checkpoints of one write half applied";
  }
  return result;
}

absl::StatusOr<WriteResult> MemoryStateStore::Write(const BatchWrite& write) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = TakeFailure(); !s.ok()) return s;
  const WriteResult checked = Check(write.partitions, true);
  if (checked.outcome != WriteOutcome::kApplied) return checked;
  for (const AccountWrite& w : write.accounts) {
    if (w.next_due == absl::InfiniteFuture()) {
      data_.due[w.partition].erase(w.account);
    } else {
      data_.due[w.partition][w.account] = w.next_due;
    }
    if (!w.write_state) continue;
    data_.states[w.account] = w.state;
    if (w.index.summary.empty()) {
      data_.summaries.erase(w.account);
    } else {
      data_.summaries[w.account] = w.index.summary;
    }
    for (auto& [name, members] : data_.indexes) members.erase(w.account);
    for (const auto& [name, score] : w.index.rankings) data_.indexes[name][w.account] = score;
    for (const std::string& key : w.index.lookups) data_.lookups[key] = w.account;
  }
  for (const CounterDelta& c : write.counters) data_.counters[c.group][c.field] += c.delta;
  for (const PartitionWrite& p : write.partitions) data_.checkpoints[p.partition] = p.to.Encode();
  if (fail_after_applying_) {
    fail_after_applying_ = false;
    return absl::UnavailableError("state store reply lost (injected)");
  }
  return checked;
}

absl::StatusOr<WriteResult> MemoryStateStore::Verify(const std::vector<PartitionWrite>& current) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = TakeFailure(); !s.ok()) return s;
  return Check(current, false);
}

}  // namespace retention::stream
