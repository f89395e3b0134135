#include "services/ingest/ingestor.h"

#include <map>

#include <set>

#include "absl/strings/str_cat.h"
#include "libs/proto/time_util.h"
#include "libs/stream/quarantine.h"

namespace retention::ingest {
int64_t IngestCounts::rejected_total() const {
  int64_t total = 0;
  for (const auto& [reason, n] : rejected) total += n;
  return total;
}

kafka::OutgoingRecord Ingestor::Canonical(v1::InteractionEvent& event, absl::Time now) const {
  *event.mutable_received_at() = proto::ToTimestamp(now);
  kafka::OutgoingRecord out;
  out.topic = settings_.v1_topic;
  out.key = event.account_id();
  event.SerializeToString(&out.value);
  out.headers = {{kContentTypeHeader, kContentTypeProtobuf}, {"event-id", event.event_id()}};
  return out;
}

kafka::OutgoingRecord Ingestor::DeadLettered(const kafka::ConsumedRecord& record, const Decoded& decoded,
                                             absl::Time now) const {
  v1::DeadLetter letter;
  letter.set_reason(decoded.rejection.reason);
  letter.set_detail(decoded.rejection.detail);
  // A value too large to dead-letter whole is kept cut, with its size and hash: the
  // dead-letter topic must take it, or nothing after it would ever be published.
  stream::KeepOriginal(record.value, settings_.max_dead_letter_bytes, &letter);
  letter.set_original_key(stream::Clip(record.key, 1024));
  letter.set_service("ingest");
  for (const kafka::Header& h : record.headers) {
    v1::RecordHeader* header = letter.add_original_headers();
    header->set_key(stream::Clip(h.key, 256));
    header->set_value(stream::Clip(h.value, 4096));
  }
  letter.set_source_topic(record.topic);
  letter.set_source_partition(record.partition);
  letter.set_source_offset(record.offset);
  *letter.mutable_rejected_at() = proto::ToTimestamp(now);
  letter.set_event_id(decoded.event_id);
  kafka::OutgoingRecord out;
  out.topic = settings_.dlq_topic;
  out.key = stream::Clip(record.key, 1024);
  letter.SerializeToString(&out.value);
  out.headers = {{kContentTypeHeader, kContentTypeProtobuf},
                 {"reject-reason", v1::RejectReason_Name(decoded.rejection.reason)}};
  return out;
}

absl::StatusOr<BatchOutput> Ingestor::ProcessRecords(const std::vector<kafka::ConsumedRecord>& records,
                                                     absl::Time now) {
  std::vector<Decoded> decoded;
  decoded.reserve(records.size());
  std::vector<DedupeClaim> claims;
  claims.reserve(records.size());
  std::map<std::pair<std::string, int32_t>, ReadSpan> spans;
  for (const kafka::ConsumedRecord& r : records) {
    auto [span, first] = spans.try_emplace({r.topic, r.partition}, ReadSpan{r.topic, r.partition, -1, r.offset + 1});
    if (first) {
      auto recorded = recorded_.find({r.topic, r.partition});
      if (recorded != recorded_.end()) span->second.recorded = recorded->second;
    }
    span->second.to = std::max(span->second.to, r.offset + 1);
    decoded.push_back(DecodeRecord(r.value, r.headers, settings_, now));
    if (decoded.back().event) {
      claims.push_back({decoded.back().event->event_id(),
                        absl::StrCat("k:", r.topic, ":", r.partition, ":", r.offset)});
    }
  }
  std::vector<ClaimResult> held;
  std::vector<ReadSpan> read;
  for (auto& [tp, span] : spans) read.push_back(span);
  if (!claims.empty() || !read.empty()) {
    std::string marker = marker_;
    auto claimed = dedupe_->Claim(claims, read, &marker);
    if (!claimed.ok()) return claimed.status();
    if (marker != marker_) {
      // A new memory (a rebuild): what was recorded under the old one no longer counts.
      recorded_.clear();
      marker_ = marker;
    }
    for (const ReadSpan& s : read) {
      int64_t& recorded = recorded_[{s.topic, s.partition}];
      recorded = std::max(recorded, s.to);
    }
    held = std::move(*claimed);
    for (size_t i = 0; i < held.size(); ++i) {
      if (held[i] == ClaimResult::kInFlight) {
        return absl::AbortedError(absl::StrCat("event ", stream::Clip(claims[i].event_id),
                                               " is being submitted over gRPC right now; the batch waits"));
      }
    }
  }
  BatchOutput output;
  output.records.reserve(records.size());
  output.counts.in = static_cast<int64_t>(records.size());
  size_t claim = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    Decoded& d = decoded[i];
    if (!d.event) {
      output.records.push_back(DeadLettered(records[i], d, now));
      ++output.counts.rejected[d.rejection.reason];
    } else if (held[claim++] == ClaimResult::kHeld) {
      output.records.push_back(Canonical(*d.event, now));
      ++output.counts.out;
    } else {
      ++output.counts.duplicates;
    }
  }
  return output;
}

absl::StatusOr<SubmitOutput> Ingestor::ProcessSubmitted(const std::vector<v1::InteractionEvent>& events,
                                                        const std::string& call_id, absl::Time now) {
  SubmitOutput output;
  output.counts.in = static_cast<int64_t>(events.size());
  output.results.resize(events.size());
  std::vector<size_t> valid;
  std::set<std::string> in_call;
  for (size_t i = 0; i < events.size(); ++i) {
    v1::SubmitResult& result = output.results[i];
    result.set_event_id(events[i].event_id());
    if (auto rejection = Validate(events[i], settings_, now)) {
      result.set_status(v1::SubmitResult::REJECTED);
      result.set_reason(rejection->reason);
      result.set_detail(rejection->detail);
      ++output.counts.rejected[rejection->reason];
      continue;
    }
    if (!in_call.insert(events[i].event_id()).second) {
      result.set_status(v1::SubmitResult::DUPLICATE);  // twice in the same call
      ++output.counts.duplicates;
      continue;
    }
    valid.push_back(i);
    output.claims.push_back({events[i].event_id(), absl::StrCat("g:", call_id, ":", i), /*pending=*/true});
  }
  if (output.claims.empty()) return output;
  auto held = dedupe_->Claim(output.claims);
  if (!held.ok()) return held.status();
  std::vector<DedupeClaim> kept;
  for (size_t j = 0; j < valid.size(); ++j) {
    if ((*held)[j] == ClaimResult::kInFlight && output.in_flight_event_id.empty()) {
      output.in_flight_event_id = output.claims[j].event_id;
    }
  }
  for (size_t j = 0; j < valid.size(); ++j) {
    v1::SubmitResult& result = output.results[valid[j]];
    if ((*held)[j] != ClaimResult::kHeld) {
      result.set_status(v1::SubmitResult::DUPLICATE);
      ++output.counts.duplicates;
      continue;
    }
    v1::InteractionEvent event = events[valid[j]];
    output.records.push_back(Canonical(event, now));
    result.set_status(v1::SubmitResult::ACCEPTED);
    kept.push_back(output.claims[j]);
    ++output.counts.out;
  }
  output.claims = std::move(kept);
  return output;
}

}  // namespace retention::ingest
