#include "services/reference-pipeline/profile.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "libs/proto/time_util.h"

namespace retention::reference {
namespace {

v1::ContactAdvocacy* ContactOf(v1::AdvocacyProfile* p, const std::string& contact_id) {
  for (auto& c : *p->mutable_contacts()) {
    if (c.contact_id() == contact_id) return &c;
  }
  if (p->contacts_size() >= kMaxContacts) p->mutable_contacts()->DeleteSubrange(0, 1);
  v1::ContactAdvocacy* c = p->add_contacts();
  c->set_contact_id(contact_id.substr(0, 128));
  return c;
}

void Success(v1::AdvocacyProfile* p, const google::protobuf::Timestamp& at, std::string what) {
  if (at.seconds() >= p->last_success_at().seconds()) {
    *p->mutable_last_success_at() = at;
    p->set_last_success(std::move(what));
  }
}

// Consent follows from the contacts.
void Derive(v1::AdvocacyProfile* p) {
  p->set_consent(std::any_of(p->contacts().begin(), p->contacts().end(),
                             [](const v1::ContactAdvocacy& c) { return c.consent() && !c.left_company(); }));
}

bool Advocate(const v1::ReferencePolicy& policy, const v1::AdvocacyProfile& p, absl::Time now) {
  return p.last_action_at().seconds() > 0 &&
         absl::ToUnixSeconds(now) - p.last_action_at().seconds() <= int64_t{policy.advocate_within_days()} * 86400;
}

double DaysBetween(int64_t from_seconds, absl::Time to) {
  return absl::ToDoubleHours(to - absl::FromUnixSeconds(from_seconds)) / 24;
}

bool IsOpen(v1::ReferenceRequest::State state) {
  return state == v1::ReferenceRequest::NEW || state == v1::ReferenceRequest::IN_PROGRESS ||
         state == v1::ReferenceRequest::APPROVED;
}

}  // namespace

Applied ApplyEvent(const v1::InteractionEvent& e, ReferenceAccountState* state) {
  Applied out;
  v1::AdvocacyProfile* p = state->mutable_profile();
  p->set_account_id(e.account_id());
  switch (e.payload_case()) {
    case v1::InteractionEvent::kAccountProfile: {
      const auto& a = e.account_profile();
      p->set_industry(a.industry());
      p->set_region(a.region());
      p->set_size(a.size());
      p->set_plan(a.plan());
      p->clear_products();
      for (int i = 0; i < a.products_size() && i < 50; ++i) p->add_products(a.products(i).substr(0, 128));
      break;
    }
    case v1::InteractionEvent::kContractBilling: {
      const auto& c = e.contract_billing();
      if (c.arr() > 0) p->set_arr(c.arr());
      if (c.kind() == v1::ContractBilling::SIGNED || c.kind() == v1::ContractBilling::RENEWED ||
          c.kind() == v1::ContractBilling::EXPANDED) {
        Success(p, e.occurred_at(), absl::StrCat("contract:", v1::ContractBilling::Kind_Name(c.kind())));
        out.contract_signed = true;
      }
      break;
    }
    case v1::InteractionEvent::kValueDelivery: {
      const std::string& outcome = e.value_delivery().outcome();
      Success(p, e.occurred_at(), absl::StrCat("value:", outcome));
      if (!outcome.empty() && std::find(p->use_cases().begin(), p->use_cases().end(), outcome) == p->use_cases().end()) {
        p->add_use_cases(outcome);
        if (p->use_cases_size() > 20) p->mutable_use_cases()->DeleteSubrange(0, 1);
      }
      break;
    }
    case v1::InteractionEvent::kStakeholderChange: {
      if (e.contact_id().empty()) break;
      const auto& s = e.stakeholder_change();
      v1::ContactAdvocacy* c = ContactOf(p, e.contact_id());
      c->set_role(s.role());
      c->set_champion(s.champion());
      c->set_left_company(s.kind() == v1::StakeholderChange::LEFT_COMPANY);
      break;
    }
    case v1::InteractionEvent::kAdvocacyAction: {
      const auto kind = e.advocacy_action().kind();
      v1::ContactAdvocacy* c = e.contact_id().empty() ? nullptr : ContactOf(p, e.contact_id());
      if (kind == v1::AdvocacyAction::REFERENCE_CONSENT || kind == v1::AdvocacyAction::CONSENT_REVOKED) {
        if (c != nullptr) {
          c->set_consent(kind == v1::AdvocacyAction::REFERENCE_CONSENT);
          *c->mutable_consent_changed_at() = e.occurred_at();
        }
        break;
      }
      auto* counts = p->mutable_actions();
      auto it = std::find_if(counts->begin(), counts->end(), [&](const v1::ActionCount& a) { return a.kind() == kind; });
      v1::ActionCount* count = it != counts->end() ? &*it : counts->Add();
      count->set_kind(kind);
      count->set_count(count->count() + 1);
      *count->mutable_last_at() = e.occurred_at();
      if (e.occurred_at().seconds() > p->last_action_at().seconds()) *p->mutable_last_action_at() = e.occurred_at();
      if (c != nullptr) {
        c->set_actions(c->actions() + 1);
        *c->mutable_last_action_at() = e.occurred_at();
      }
      break;
    }
    default:
      break;
  }
  Derive(p);
  return out;
}

Applied ApplyHealth(const v1::HealthSignal& s, ReferenceAccountState* state) {
  v1::AdvocacyProfile* p = state->mutable_profile();
  p->set_account_id(s.account_id());
  p->set_health_score(s.health().score());
  p->set_band(s.health().band());
  p->set_stage(s.health().loyalty_stage());
  return {};
}

Applied ApplyChurn(const v1::ReferencePolicy& policy, const v1::ChurnRiskSignal& s, ReferenceAccountState* state) {
  Applied out;
  v1::AdvocacyProfile* p = state->mutable_profile();
  const bool was_within = p->churn_tier() <= policy.max_churn_tier();
  p->set_account_id(s.account_id());
  p->set_churn_tier(s.risk().tier());
  p->set_churn_probability(s.risk().probability());
  if (s.risk().arr() > 0) p->set_arr(s.risk().arr());
  out.risk_rose = was_within && p->churn_tier() > policy.max_churn_tier();
  return out;
}

std::vector<std::string> StreamReasons(const v1::ReferencePolicy& policy, const v1::AdvocacyProfile& p,
                                       absl::Time now) {
  std::vector<std::string> reasons;
  if (p.band() < policy.min_band()) {
    reasons.push_back(absl::StrCat("health band ", v1::HealthBand_Name(p.band()), " below ",
                                   v1::HealthBand_Name(policy.min_band())));
  }
  if (std::find(policy.stages().begin(), policy.stages().end(), p.stage()) == policy.stages().end()) {
    reasons.push_back(absl::StrCat("loyalty stage ", v1::LoyaltyStage_Name(p.stage())));
  }
  if (p.churn_tier() > policy.max_churn_tier()) {
    reasons.push_back(absl::StrCat("churn risk ", v1::RiskTier_Name(p.churn_tier())));
  }
  if (p.last_success_at().seconds() == 0 ||
      absl::ToUnixSeconds(now) - p.last_success_at().seconds() > int64_t{policy.success_within_days()} * 86400) {
    reasons.push_back(absl::StrCat("no success milestone in ", policy.success_within_days(), " days"));
  }
  if (policy.require_consent() && !p.consent()) reasons.push_back("no consent on file");
  return reasons;
}

v1::AdvocacyProfile Evaluate(const v1::ReferencePolicy& policy, v1::AdvocacyProfile p,
                             const std::vector<v1::ReferenceRequest>& requests, absl::Time now) {
  int completed = 0, declined = 0, last_year = 0;
  int64_t last_asked = 0;
  std::string open;
  for (const v1::ReferenceRequest& r : requests) {
    if (r.state() == v1::ReferenceRequest::COMPLETED) ++completed;
    if (r.state() == v1::ReferenceRequest::DECLINED) ++declined;
    if (IsOpen(r.state()) && open.empty()) open = r.request_id();
    // A cancelled request was withdrawn by us, not put to the customer: it is no ask.
    if (r.state() == v1::ReferenceRequest::CANCELLED) continue;
    last_asked = std::max(last_asked, r.created_at().seconds());
    if (DaysBetween(r.created_at().seconds(), now) <= 365) ++last_year;
  }
  p.set_requests_received(static_cast<int32_t>(requests.size()));
  p.set_requests_completed(completed);
  p.set_requests_declined(declined);
  p.set_acceptance_rate(completed + declined > 0 ? static_cast<double>(completed) / (completed + declined) : 0);
  p.mutable_last_asked_at()->set_seconds(last_asked);
  p.set_asks_last_year(last_year);
  p.set_open_request_id(open);
  p.set_advocate(Advocate(policy, p, now));
  *p.mutable_as_of() = proto::ToTimestamp(now);

  std::vector<std::string> reasons = StreamReasons(policy, p, now);
  if (!open.empty()) reasons.push_back(absl::StrCat("open request ", open));
  if (last_asked > 0 && DaysBetween(last_asked, now) < policy.cooldown_days()) {
    reasons.push_back(absl::StrFormat("asked %.0f days ago (cooldown %d days)", std::floor(DaysBetween(last_asked, now)),
                                      policy.cooldown_days()));
  }
  if (last_year >= policy.max_asks_per_year()) {
    reasons.push_back(absl::StrFormat("asked %d times in a year (cap %d)", last_year, policy.max_asks_per_year()));
  }
  p.clear_ineligible_reasons();
  for (std::string& r : reasons) p.add_ineligible_reasons(std::move(r));
  p.set_eligible(reasons.empty());
  return p;
}

absl::Time NextChange(const v1::ReferencePolicy& policy, const v1::AdvocacyProfile& p,
                      const std::vector<v1::ReferenceRequest>& requests, absl::Time after) {
  absl::Time next = absl::InfiniteFuture();
  const auto consider = [&](int64_t seconds, int64_t days) {
    if (seconds <= 0) return;
    const absl::Time t = absl::FromUnixSeconds(seconds + days * 86400 + 1);
    if (t > after) next = std::min(next, t);
  };
  consider(p.last_success_at().seconds(), policy.success_within_days());
  consider(p.last_action_at().seconds(), policy.advocate_within_days());
  for (const v1::ReferenceRequest& r : requests) {
    if (r.state() == v1::ReferenceRequest::CANCELLED) continue;
    consider(r.created_at().seconds(), policy.cooldown_days());
    consider(r.created_at().seconds(), 365);
  }
  return next;
}

std::string ContactToAsk(const v1::AdvocacyProfile& p) {
  const v1::ContactAdvocacy* best = nullptr;
  for (const auto& c : p.contacts()) {
    if (!c.consent() || c.left_company()) continue;
    if (best == nullptr || c.actions() > best->actions()) best = &c;
  }
  return best == nullptr ? "" : best->contact_id();
}

namespace {

// Calls part(name, points, detail) for each part of a candidate's score; `detail` is
// a callable giving the explanation, built only by those who show it.
template <typename Part>
void ScoreParts(const v1::ReferencePolicy& policy, const v1::ReferenceCriteria& criteria, const v1::AdvocacyProfile& p,
                absl::Time now, Part&& part) {
  const v1::RankingWeights& w = policy.weights();
  const auto same = [&](const char* name, double weight, const std::string& wanted, const std::string& has) {
    if (wanted.empty()) return;
    part(name, wanted == has ? weight : 0, [&] {
      return wanted == has ? absl::StrCat(name, " ", has, " matches")
                           : absl::StrCat(name, " ", has.empty() ? "unknown" : has, ", not ", wanted);
    });
  };
  same("industry", w.industry(), criteria.industry(), p.industry());
  if (!criteria.products().empty()) {
    std::vector<std::string> shared;
    for (const std::string& want : criteria.products()) {
      if (std::find(p.products().begin(), p.products().end(), want) != p.products().end()) shared.push_back(want);
    }
    part("products", w.products() * shared.size() / criteria.products_size(), [&] {
      return absl::StrCat(shared.size(), " of ", criteria.products_size(), " products",
                          shared.empty() ? "" : absl::StrCat(": ", absl::StrJoin(shared, ", ")));
    });
  }
  same("region", w.region(), criteria.region(), p.region());
  same("size", w.size(), criteria.size(), p.size());
  if (!criteria.use_case().empty()) {
    const bool has = std::find(p.use_cases().begin(), p.use_cases().end(), criteria.use_case()) != p.use_cases().end();
    part("use_case", has ? w.use_case() : 0, [&] {
      return absl::StrCat(has ? "confirmed value in " : "no confirmed value in ", criteria.use_case());
    });
  }
  int actions = 0;
  for (const auto& a : p.actions()) actions += a.count();
  part("history", w.history() * std::min(actions, 5) / 5.0, [&] {
    return actions == 0 ? std::string("no advocacy actions yet") : absl::StrCat(actions, " advocacy actions");
  });
  const int answered = p.requests_completed() + p.requests_declined();
  part("acceptance", w.acceptance() * (answered == 0 ? 0.5 : p.acceptance_rate()), [&] {
    return answered == 0 ? std::string("no asks answered yet")
                         : absl::StrFormat("accepted %d of %d asks", p.requests_completed(), answered);
  });
  if (p.last_asked_at().seconds() == 0) {
    part("freshness", w.freshness(), [] { return std::string("never asked"); });
  } else {
    const double days = DaysBetween(p.last_asked_at().seconds(), now);
    part("freshness", w.freshness() * std::clamp(days / 365, 0.0, 1.0),
         [&] { return absl::StrFormat("last asked %.0f days ago", days); });
  }
}

}  // namespace

double Score(const v1::ReferencePolicy& policy, const v1::ReferenceCriteria& criteria, const v1::AdvocacyProfile& p,
             absl::Time now) {
  double total = 0;
  ScoreParts(policy, criteria, p, now, [&total](const char*, double points, const auto&) { total += points; });
  return total;
}

v1::ReferenceCandidate Rank(const v1::ReferencePolicy& policy, const v1::ReferenceCriteria& criteria,
                            v1::AdvocacyProfile p, absl::Time now) {
  v1::ReferenceCandidate c;
  ScoreParts(policy, criteria, p, now, [&c](const char* name, double points, const auto& detail) {
    v1::ScorePart* s = c.add_explanation();
    s->set_part(name);
    s->set_points(points);
    s->set_detail(detail());
    c.set_score(c.score() + points);
  });
  c.set_contact_id(ContactToAsk(p));
  *c.mutable_profile() = std::move(p);
  return c;
}

}  // namespace retention::reference
