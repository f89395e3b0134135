// An account's scripted history, as canonical events for the v1 topic: tests of the
// stateful services feed them and wait until the account is "as of" its last event.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/kafka/record.h"
#include "retention/v1/interaction_event.pb.h"

namespace retention::testing {

inline constexpr int64_t kDay0 = 1'760'000'000;  // day 0 of every script (scripts stay in the past)

// The flag that starts a service's clock at the scripts' day 0: the scripts' events are
// then all ahead of it, so the services evaluate accounts at their events' time (their
// stream time), as a replay of that history would, not months after it. Tests of time
// passing run the clock from elsewhere.
inline std::string ScriptClockFlag() {
  return "--clock_start=" + absl::FormatTime(absl::RFC3339_sec, absl::FromUnixSeconds(kDay0), absl::UTCTimeZone());
}

// Builds one account's events, day by day.
class Script {
 public:
  explicit Script(std::string account) : account_(std::move(account)) {}

  v1::InteractionEvent& Add(int day) {
    v1::InteractionEvent& e = events_.emplace_back();
    e.set_event_id(absl::StrCat(account_, "-", events_.size()));
    e.set_account_id(account_);
    e.mutable_occurred_at()->set_seconds(kDay0 + day * 86400);
    e.mutable_received_at()->set_seconds(absl::ToUnixSeconds(absl::Now()));
    return e;
  }
  void Usage(int day, int active, std::vector<std::string> features) {
    auto* u = Add(day).mutable_product_usage();
    u->set_active_users(active);
    u->set_licensed_seats(50);
    for (auto& f : features) u->add_features_used(f);
  }
  void Stakeholder(int day, const std::string& contact, v1::StakeholderChange::Kind kind,
                   v1::StakeholderChange::Role role, bool champion) {
    auto& e = Add(day);
    e.set_contact_id(contact);
    e.mutable_stakeholder_change()->set_kind(kind);
    e.mutable_stakeholder_change()->set_role(role);
    e.mutable_stakeholder_change()->set_champion(champion);
  }
  std::vector<kafka::OutgoingRecord> Records(size_t from = 0) const {
    std::vector<kafka::OutgoingRecord> out;
    for (size_t i = from; i < events_.size(); ++i) {
      out.push_back({"", account_, events_[i].SerializeAsString(), {{"content-type", "application/x-protobuf"}}});
    }
    return out;
  }
  size_t size() const { return events_.size(); }
  int64_t last_seconds() const { return events_.back().occurred_at().seconds(); }
  const std::string& account() const { return account_; }

 private:
  std::string account_;
  std::vector<v1::InteractionEvent> events_;
};

// Every record of `scripts` in the order their events happened (an account's own order
// kept for equal times): what a topic holds when upstream sends as things happen. The
// services evaluate an account at its partition's clock (the latest event time read
// there), so two runs compare equal when they read the same history in this order.
inline std::vector<kafka::OutgoingRecord> InTimeOrder(const std::vector<Script>& scripts) {
  std::vector<std::pair<int64_t, kafka::OutgoingRecord>> timed;
  for (const Script& s : scripts) {
    for (kafka::OutgoingRecord& r : s.Records()) {
      v1::InteractionEvent e;
      e.ParseFromString(r.value);
      timed.emplace_back(e.occurred_at().seconds(), std::move(r));
    }
  }
  std::stable_sort(timed.begin(), timed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<kafka::OutgoingRecord> out;
  for (auto& [t, r] : timed) out.push_back(std::move(r));
  return out;
}

// Part `part` of `count` equal parts of `records`.
inline std::vector<kafka::OutgoingRecord> Part(const std::vector<kafka::OutgoingRecord>& records, int part, int count) {
  const size_t from = records.size() * part / count, to = records.size() * (part + 1) / count;
  return {records.begin() + static_cast<long>(from), records.begin() + static_cast<long>(to)};
}

// A signed business account with a confirmed outcome and a contact ("champ") who
// consented to be a reference: eligible once healthy (days 0-3).
inline void ConsentingCustomer(Script& s, const std::string& industry, const std::string& region = "",
                               const std::string& product = "") {
  auto* p = s.Add(0).mutable_account_profile();
  p->set_plan("business");
  p->set_industry(industry);
  if (!region.empty()) p->set_region(region);
  if (!product.empty()) p->add_products(product);
  auto* contract = s.Add(1).mutable_contract_billing();
  contract->set_kind(v1::ContractBilling::SIGNED);
  contract->set_arr(90'000);
  s.Add(2).mutable_value_delivery()->set_outcome("reduced-close-time");
  auto& consent = s.Add(3);
  consent.set_contact_id("champ");
  consent.mutable_advocacy_action()->set_kind(v1::AdvocacyAction::REFERENCE_CONSENT);
}

}  // namespace retention::testing
