#include "tests/chaos/scenario.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"

namespace retention::chaos {
namespace {

// Every event happens on this day (UTC), before noon.
const absl::Time kDay = absl::FromUnixSeconds(1'764'547'200);  // 2025-12-01T00:00:00Z

class Builder {
 public:
  Builder(Scenario* scenario, std::mt19937_64* rng) : s_(scenario), rng_(rng) {}

  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(*rng_); }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(*rng_) < p; }
  template <typename T>
  const T& Pick(const std::vector<T>& options) {
    return options[static_cast<size_t>(Uniform(0, static_cast<int>(options.size()) - 1))];
  }

  v1::InteractionEvent& Event(const std::string& account) {
    v1::InteractionEvent& e = s_->events.emplace_back();
    e.set_event_id(absl::StrCat(account, "-", next_id_++));
    e.set_account_id(account);
    e.set_source("chaos");
    // Before noon, the clock the services stand still at.
    e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(kDay) + Uniform(0, 11 * 3600));
    return e;
  }

  void Profile(const std::string& account) {
    auto* p = Event(account).mutable_account_profile();
    p->set_plan(Pick<std::string>({"starter", "business", "enterprise"}));
    p->set_size(Pick<std::string>({"smb", "mid-market", "enterprise"}));
    p->set_industry(Pick<std::string>({"fintech", "retail", "health"}));
    p->set_region(Pick<std::string>({"emea", "na", "apac"}));
    p->add_products("analytics");
    if (Chance(0.5)) p->add_products("api");
    p->set_strategic_importance(Uniform(1, 5));
    auto* c = Event(account).mutable_contract_billing();
    c->set_kind(v1::ContractBilling::SIGNED);
    c->set_arr(1000 * Uniform(10, 500));
    c->set_seats(Uniform(10, 200));
    c->mutable_renewal_date()->set_seconds(absl::ToUnixSeconds(kDay + absl::Hours(24 * Uniform(30, 300))));
  }

  void Stakeholder(const std::string& account, const std::string& contact, v1::StakeholderChange::Kind kind,
                   v1::StakeholderChange::Role role, bool champion) {
    v1::InteractionEvent& e = Event(account);
    e.set_contact_id(contact);
    e.mutable_stakeholder_change()->set_kind(kind);
    e.mutable_stakeholder_change()->set_role(role);
    e.mutable_stakeholder_change()->set_champion(champion);
  }

  void Usage(const std::string& account, int active) {
    auto* u = Event(account).mutable_product_usage();
    u->set_active_users(active);
    u->set_licensed_seats(50);
    u->set_sessions(active * 3);
    for (const char* f : {"reports", "api", "alerts", "export", "sso"}) {
      if (Chance(0.7)) u->add_features_used(f);
    }
  }

  void Advocacy(const std::string& account, v1::AdvocacyAction::Kind kind) {
    v1::InteractionEvent& e = Event(account);
    e.set_contact_id("champ");
    e.mutable_advocacy_action()->set_kind(kind);
  }

  // Any kind of customer: the inputs every service folds, with counts that would show
  // an event applied twice (tickets, escalations, seat changes, outcomes).
  void Mixed(const std::string& account) {
    Profile(account);
    Stakeholder(account, "sponsor", v1::StakeholderChange::JOINED, v1::StakeholderChange::EXECUTIVE_SPONSOR, false);
    Stakeholder(account, "champ", v1::StakeholderChange::JOINED, v1::StakeholderChange::DIRECTOR, true);
    if (Chance(0.3)) Stakeholder(account, "admin", v1::StakeholderChange::JOINED, v1::StakeholderChange::ADMIN, false);
    for (int i = Uniform(2, 6); i > 0; --i) Usage(account, Uniform(0, 50));
    for (int i = Uniform(0, 4); i > 0; --i) {
      auto* t = Event(account).mutable_support_ticket();
      t->set_ticket_id(absl::StrCat("t", i));
      t->set_status(Pick<v1::SupportTicket::Status>(
          {v1::SupportTicket::OPENED, v1::SupportTicket::ESCALATED, v1::SupportTicket::RESOLVED}));
      if (t->status() == v1::SupportTicket::RESOLVED) t->set_hours_to_resolve(Uniform(1, 96));
    }
    if (Chance(0.7)) Event(account).mutable_survey_response()->set_nps(Uniform(0, 10));
    if (Chance(0.3)) Event(account).mutable_survey_response()->set_csat(Uniform(1, 5));
    if (Chance(0.6)) {
      Event(account).mutable_engagement()->set_kind(
          Pick<v1::Engagement::Kind>({v1::Engagement::QBR, v1::Engagement::TRAINING, v1::Engagement::WEBINAR}));
    }
    if (Chance(0.5)) Event(account).mutable_value_delivery()->set_outcome("reduced-close-time");
    if (Chance(0.2)) {
      auto* c = Event(account).mutable_contract_billing();
      c->set_kind(Pick<v1::ContractBilling::Kind>({v1::ContractBilling::PAYMENT_FAILED, v1::ContractBilling::CONTRACTED}));
      if (c->kind() == v1::ContractBilling::CONTRACTED) c->set_seat_change(-Uniform(1, 10));
    }
    if (Chance(0.3)) Stakeholder(account, "champ", v1::StakeholderChange::LEFT_COMPANY, v1::StakeholderChange::DIRECTOR, true);
    if (Chance(0.4)) Advocacy(account, v1::AdvocacyAction::REFERENCE_CONSENT);
    if (Chance(0.3)) Advocacy(account, Pick<v1::AdvocacyAction::Kind>({v1::AdvocacyAction::REVIEW, v1::AdvocacyAction::CASE_STUDY}));
    if (Chance(0.1)) {
      auto* w = Event(account).mutable_win_loss();
      w->set_outcome(Pick<v1::WinLossOutcome::Outcome>({v1::WinLossOutcome::CHURNED, v1::WinLossOutcome::LOST}));
      w->add_reasons(Pick<std::string>({"price", "product-gaps", "support"}));
      if (Chance(0.5)) w->set_competitor(Pick<std::string>({"Contoso", "Fabrikam"}));
      ++s_->win_loss_events;
    }
  }

  // A customer that can be asked for a reference: healthy, loyal, successful, consenting.
  void Loyal(const std::string& account) {
    Profile(account);
    Stakeholder(account, "sponsor", v1::StakeholderChange::JOINED, v1::StakeholderChange::EXECUTIVE_SPONSOR, false);
    Stakeholder(account, "champ", v1::StakeholderChange::JOINED, v1::StakeholderChange::DIRECTOR, true);
    Stakeholder(account, "admin", v1::StakeholderChange::JOINED, v1::StakeholderChange::ADMIN, false);
    for (int i = 0; i < 4; ++i) Usage(account, 45);
    Event(account).mutable_survey_response()->set_nps(10);
    Event(account).mutable_engagement()->set_kind(v1::Engagement::QBR);
    Event(account).mutable_value_delivery()->set_outcome("reduced-close-time");
    Advocacy(account, v1::AdvocacyAction::REFERENCE_CONSENT);
    Advocacy(account, v1::AdvocacyAction::REVIEW);
  }

 private:
  Scenario* s_;
  std::mt19937_64* rng_;
  int64_t next_id_ = 0;
};

v1::RequestRecord Proposal(const Scenario& s, const std::string& account, const std::string& request,
                           const std::string& command) {
  v1::RequestRecord r;
  r.set_kind(v1::RequestRecord::PROPOSED);
  r.set_command_id(command);
  r.set_account_id(account);
  r.set_request_id(request);
  *r.mutable_recorded_at() = google::protobuf::Timestamp();
  r.mutable_recorded_at()->set_seconds(absl::ToUnixSeconds(s.clock));
  return r;
}

}  // namespace

Scenario MakeScenario(uint64_t seed, int accounts, const std::string& prefix) {
  Scenario s;
  s.seed = seed;
  s.clock = kDay + absl::Hours(12);
  std::mt19937_64 rng(seed);
  Builder b(&s, &rng);
  const int racing = 4, requested = std::max(2, accounts / 10), overridden = std::max(2, accounts / 10);
  for (int i = 0; i < accounts; ++i) {
    const std::string account = absl::StrCat(prefix, "-", i);
    s.accounts.push_back(account);
    if (i < racing) {
      s.racing.push_back(account);
      b.Loyal(account);
    } else if (i < racing + requested) {
      b.Loyal(account);
      // Asked twice at once (the second must be refused: the first is open), then moved along.
      const std::string first = absl::StrCat(account, "-r1"), second = absl::StrCat(account, "-r2");
      v1::RequestRecord create = Proposal(s, account, first, absl::StrCat(first, "-create"));
      create.mutable_create()->set_account_id(account);
      create.mutable_create()->set_kind(v1::AdvocacyAction::REFERENCE_CALL);
      create.mutable_create()->set_requested_by("seller-a");
      s.proposals.push_back(create);
      v1::RequestRecord again = Proposal(s, account, second, absl::StrCat(second, "-create"));
      again.mutable_create()->set_account_id(account);
      again.mutable_create()->set_kind(v1::AdvocacyAction::REVIEW);
      again.mutable_create()->set_requested_by("seller-b");
      s.proposals.push_back(again);
      const bool approved = b.Chance(0.5);
      int step = 0;
      for (auto to : approved ? std::vector<v1::ReferenceRequest::State>{v1::ReferenceRequest::IN_PROGRESS,
                                                                         v1::ReferenceRequest::APPROVED,
                                                                         v1::ReferenceRequest::COMPLETED}
                              : std::vector<v1::ReferenceRequest::State>{v1::ReferenceRequest::IN_PROGRESS,
                                                                         v1::ReferenceRequest::DECLINED}) {
        v1::RequestRecord update = Proposal(s, account, first, absl::StrCat(first, "-step-", ++step));
        update.mutable_update()->set_request_id(first);
        update.mutable_update()->set_state(to);
        update.mutable_update()->set_by("account-owner");
        s.proposals.push_back(update);
      }
    } else if (i < racing + requested + overridden) {
      b.Mixed(account);
      v1::OverrideRecord set;
      set.set_account_id(account);
      set.set_command_id(absl::StrCat(account, "-override"));
      auto* o = set.mutable_override();
      o->set_score(b.Uniform(5, 95));
      o->set_reason("executive escalation");
      o->set_author("cs-lead@example.test");
      o->mutable_set_at()->set_seconds(absl::ToUnixSeconds(s.clock));
      o->mutable_expires_at()->set_seconds(absl::ToUnixSeconds(s.clock + absl::Hours(24 * 30)));
      set.mutable_recorded_at()->set_seconds(absl::ToUnixSeconds(s.clock));
      s.overrides.push_back(set);
      if (b.Chance(0.3)) {
        v1::OverrideRecord clear;
        clear.set_account_id(account);
        clear.set_command_id(absl::StrCat(account, "-clear"));
        clear.set_cleared_by("cs-lead@example.test");
        clear.mutable_recorded_at()->set_seconds(absl::ToUnixSeconds(s.clock));
        s.overrides.push_back(clear);
      }
    } else {
      b.Mixed(account);
    }
  }
  // Upstream sends as things happen: by time, accounts interleaved.
  const auto by_time = [](const v1::InteractionEvent& a, const v1::InteractionEvent& b) {
    return a.occurred_at().seconds() < b.occurred_at().seconds();
  };
  std::stable_sort(s.events.begin(), s.events.end(), by_time);
  // Then more of the same day: usage, tickets and surveys, after the decisions.
  const size_t phase1 = s.events.size();
  for (const std::string& account : s.accounts) {
    if (!b.Chance(0.5)) continue;
    b.Usage(account, b.Uniform(0, 50));
    if (b.Chance(0.3)) {
      auto* t = b.Event(account).mutable_support_ticket();
      t->set_ticket_id("later");
      t->set_status(v1::SupportTicket::ESCALATED);
    }
    if (b.Chance(0.3)) b.Event(account).mutable_survey_response()->set_nps(b.Uniform(0, 10));
  }
  s.later.assign(s.events.begin() + static_cast<long>(phase1), s.events.end());
  s.events.resize(phase1);
  std::stable_sort(s.later.begin(), s.later.end(), by_time);
  return s;
}

}  // namespace retention::chaos
