#include "services/health-score/state.h"

#include <algorithm>
#include <set>

namespace retention::health {
namespace {

using healthscore::AccountState;
using healthscore::DayBucket;

constexpr int64_t kSecondsPerDay = 86400;

// The bucket of `day`, created in order; nullptr if older than the window kept.
DayBucket* BucketFor(AccountState* state, int64_t day) {
  auto* days = state->mutable_days();
  const int64_t newest = days->empty() ? day : std::max(day, days->rbegin()->day());
  if (day <= newest - kDaysKept) return nullptr;
  auto it = std::lower_bound(days->begin(), days->end(), day,
                             [](const DayBucket& b, int64_t d) { return b.day() < d; });
  if (it != days->end() && it->day() == day) return &*it;
  const int index = static_cast<int>(it - days->begin());
  DayBucket* added = days->Add();
  added->set_day(day);
  // Move the new bucket into place (appended last).
  for (int i = days->size() - 1; i > index; --i) days->SwapElements(i, i - 1);
  // Drop buckets that fell out of the window.
  int drop = 0;
  while (drop < days->size() && days->Get(drop).day() <= newest - kDaysKept) ++drop;
  if (drop > 0) days->DeleteSubrange(0, drop);
  auto found = std::lower_bound(days->begin(), days->end(), day,
                                [](const DayBucket& b, int64_t d) { return b.day() < d; });
  return &*found;
}

void ApplyStakeholder(const v1::InteractionEvent& e, AccountState* s, DayBucket* bucket) {
  const auto& change = e.stakeholder_change();
  s->set_stakeholders_known(true);
  auto* list = s->mutable_stakeholders();
  auto it = std::find_if(list->begin(), list->end(),
                         [&](const healthscore::Stakeholder& h) { return h.contact_id() == e.contact_id(); });
  if (change.kind() == v1::StakeholderChange::LEFT_COMPANY) {
    const bool was_champion = change.champion() || (it != list->end() && it->champion());
    if (it != list->end()) list->erase(it);
    if (was_champion && bucket != nullptr) bucket->set_champions_left(bucket->champions_left() + 1);
    return;
  }
  healthscore::Stakeholder* h = it != list->end() ? &*it : list->Add();
  h->set_contact_id(e.contact_id());
  h->set_role(change.role());
  h->set_champion(change.champion());
}

// Sums `field` over buckets with day in [from, to].
template <typename F>
double Sum(const AccountState& s, int64_t from, int64_t to, F field) {
  double total = 0;
  for (const DayBucket& b : s.days()) {
    if (b.day() >= from && b.day() <= to) total += field(b);
  }
  return total;
}

}  // namespace

int64_t DayOf(int64_t unix_seconds) {
  return unix_seconds >= 0 ? unix_seconds / kSecondsPerDay : (unix_seconds - kSecondsPerDay + 1) / kSecondsPerDay;
}

bool ApplyEvent(const v1::InteractionEvent& e, int32_t partition, int64_t offset, AccountState* s) {
  auto& applied = *s->mutable_applied_offsets();
  if (auto it = applied.find(partition); it != applied.end() && offset <= it->second) return false;
  applied[partition] = offset;
  s->set_account_id(e.account_id());
  s->set_events_applied(s->events_applied() + 1);
  const int64_t when = e.occurred_at().seconds();
  s->set_as_of_seconds(std::max(s->as_of_seconds(), when));
  const int64_t day = DayOf(when);
  DayBucket* b = BucketFor(s, day);
  switch (e.payload_case()) {
    case v1::InteractionEvent::kProductUsage: {
      const auto& u = e.product_usage();
      if (u.licensed_seats() > 0) s->set_seats(u.licensed_seats());
      if (b == nullptr) break;
      b->set_active_users(std::max(b->active_users(), u.active_users()));
      b->set_sessions(b->sessions() + u.sessions());
      for (const std::string& f : u.features_used()) {
        if (std::find(b->features().begin(), b->features().end(), f) == b->features().end()) b->add_features(f);
      }
      break;
    }
    case v1::InteractionEvent::kSupportTicket: {
      const auto& t = e.support_ticket();
      if (b == nullptr) break;
      if (t.status() == v1::SupportTicket::OPENED) b->set_tickets_opened(b->tickets_opened() + 1);
      if (t.status() == v1::SupportTicket::ESCALATED) b->set_escalations(b->escalations() + 1);
      if (t.status() == v1::SupportTicket::RESOLVED) {
        b->set_tickets_resolved(b->tickets_resolved() + 1);
        b->set_hours_to_resolve_sum(b->hours_to_resolve_sum() + t.hours_to_resolve());
      }
      if (t.has_satisfaction()) {
        b->set_csat_count(b->csat_count() + 1);
        b->set_csat_sum(b->csat_sum() + t.satisfaction());
      }
      break;
    }
    case v1::InteractionEvent::kSurveyResponse: {
      const auto& r = e.survey_response();
      if (r.has_nps() && when >= s->latest_nps_seconds()) {
        s->set_has_nps(true);
        s->set_latest_nps(r.nps());
        s->set_latest_nps_seconds(when);
      }
      if (r.has_csat() && b != nullptr) {
        b->set_csat_count(b->csat_count() + 1);
        b->set_csat_sum(b->csat_sum() + r.csat());
      }
      break;
    }
    case v1::InteractionEvent::kContractBilling: {
      const auto& c = e.contract_billing();
      if (c.has_renewal_date()) s->set_renewal_seconds(c.renewal_date().seconds());
      if (c.seats() > 0) s->set_seats(c.seats());
      if (c.arr() > 0) s->set_arr(c.arr());
      if (b == nullptr) break;
      if (c.kind() == v1::ContractBilling::PAYMENT_FAILED) b->set_payment_failures(b->payment_failures() + 1);
      b->set_seat_change(b->seat_change() + c.seat_change());
      break;
    }
    case v1::InteractionEvent::kStakeholderChange:
      ApplyStakeholder(e, s, b);
      break;
    case v1::InteractionEvent::kEngagement: {
      const auto kind = e.engagement().kind();
      if (kind == v1::Engagement::QBR || kind == v1::Engagement::EXEC_MEETING) {
        s->set_last_qbr_day(std::max(s->last_qbr_day(), day));
      }
      if (b == nullptr) break;
      if (kind == v1::Engagement::TRAINING || kind == v1::Engagement::ONBOARDING) b->set_trainings(b->trainings() + 1);
      if (kind == v1::Engagement::WEBINAR) b->set_webinars(b->webinars() + 1);
      break;
    }
    case v1::InteractionEvent::kValueDelivery:
      s->set_last_value_day(std::max(s->last_value_day(), day));
      break;
    case v1::InteractionEvent::kAdvocacyAction: {
      const auto kind = e.advocacy_action().kind();
      if (kind != v1::AdvocacyAction::REFERENCE_CONSENT && kind != v1::AdvocacyAction::CONSENT_REVOKED) {
        s->add_advocacy_days(day);
      }
      auto* days = s->mutable_advocacy_days();
      days->erase(std::remove_if(days->begin(), days->end(),
                                 [&](int64_t d) { return d <= DayOf(s->as_of_seconds()) - 180; }),
                  days->end());
      break;
    }
    case v1::InteractionEvent::kAccountProfile:
      s->set_plan(e.account_profile().plan());
      s->set_size(e.account_profile().size());
      break;
    case v1::InteractionEvent::kWinLoss:
    case v1::InteractionEvent::PAYLOAD_NOT_SET:
      break;
  }
  return true;
}

MeasureValues ComputeMeasures(const AccountState& s) {
  MeasureValues m;
  const int64_t today = DayOf(s.as_of_seconds());
  const auto active = [](const DayBucket& b) { return static_cast<double>(b.active_users()); };
  double peak30 = 0;
  double sum7 = 0;
  int usage_days7 = 0;
  bool usage_ever = false;
  std::set<std::string> features30;
  for (const DayBucket& b : s.days()) {
    const bool used = b.active_users() > 0 || b.sessions() > 0 || b.features_size() > 0;
    usage_ever = usage_ever || used;
    if (b.day() > today - 30) {
      peak30 = std::max(peak30, active(b));
      features30.insert(b.features().begin(), b.features().end());
    }
    if (b.day() > today - 7 && used) {
      sum7 += active(b);
      ++usage_days7;
    }
  }
  if (usage_ever) {
    double max7 = 0;
    for (const DayBucket& b : s.days()) {
      if (b.day() > today - 7) max7 = std::max(max7, active(b));
    }
    if (s.seats() > 0) m[v1::ACTIVE_USER_RATIO] = max7 / s.seats();
    m[v1::FEATURE_BREADTH] = static_cast<double>(features30.size());
    if (peak30 > 0) m[v1::STICKINESS] = usage_days7 > 0 ? (sum7 / usage_days7) / peak30 : 0;
    const double recent = Sum(s, today - 29, today, active);
    const double before = Sum(s, today - 59, today - 30, active);
    if (before > 0) m[v1::USAGE_CHANGE_30D] = (recent - before) / before;
  }
  const auto count = [&](int64_t from, auto field) { return Sum(s, from, today, field); };
  m[v1::TICKETS_30D] = count(today - 29, [](const DayBucket& b) { return b.tickets_opened(); });
  m[v1::TICKET_CHANGE_30D] = m[v1::TICKETS_30D] - Sum(s, today - 59, today - 30, [](const DayBucket& b) {
                               return b.tickets_opened();
                             });
  m[v1::ESCALATIONS_90D] = count(today - 89, [](const DayBucket& b) { return b.escalations(); });
  const double resolved = count(today - 89, [](const DayBucket& b) { return b.tickets_resolved(); });
  if (resolved > 0) {
    m[v1::HOURS_TO_RESOLVE_90D] = count(today - 89, [](const DayBucket& b) { return b.hours_to_resolve_sum(); }) / resolved;
  }
  if (s.has_nps()) m[v1::NPS_LATEST] = s.latest_nps();
  const double csat_n = count(today - 89, [](const DayBucket& b) { return b.csat_count(); });
  if (csat_n > 0) m[v1::CSAT_AVERAGE_90D] = count(today - 89, [](const DayBucket& b) { return b.csat_sum(); }) / csat_n;
  if (s.last_qbr_day() > 0) m[v1::DAYS_SINCE_QBR] = static_cast<double>(today - s.last_qbr_day());
  m[v1::TRAININGS_90D] = count(today - 89, [](const DayBucket& b) { return b.trainings(); });
  m[v1::WEBINARS_90D] = count(today - 89, [](const DayBucket& b) { return b.webinars(); });
  if (s.stakeholders_known()) {
    std::set<int> roles;
    bool champion = false;
    bool sponsor = false;
    for (const auto& h : s.stakeholders()) {
      roles.insert(h.role());
      champion = champion || h.champion();
      sponsor = sponsor || h.role() == v1::StakeholderChange::EXECUTIVE_SPONSOR ||
                h.role() == v1::StakeholderChange::ECONOMIC_BUYER;
    }
    m[v1::ROLES_COVERED] = static_cast<double>(roles.size());
    m[v1::CHAMPION_PRESENT] = champion ? 1 : 0;
    m[v1::EXECUTIVE_SPONSOR_PRESENT] = sponsor ? 1 : 0;
    m[v1::CHAMPION_LEFT_90D] = count(today - 89, [](const DayBucket& b) { return b.champions_left(); });
  }
  m[v1::PAYMENT_FAILURES_90D] = count(today - 89, [](const DayBucket& b) { return b.payment_failures(); });
  if (s.seats() > 0) {
    m[v1::SEAT_CHANGE_90D] = count(today - 89, [](const DayBucket& b) { return b.seat_change(); }) / s.seats();
  }
  if (s.renewal_seconds() > 0) m[v1::DAYS_TO_RENEWAL] = static_cast<double>(DayOf(s.renewal_seconds()) - today);
  if (s.last_value_day() > 0) m[v1::DAYS_SINCE_VALUE_CONFIRMED] = static_cast<double>(today - s.last_value_day());
  return m;
}

LoyaltyInputs LoyaltyInputsFrom(const AccountState& s, const MeasureValues& measures, std::optional<double> adoption) {
  LoyaltyInputs in;
  if (s.has_nps()) in.nps = s.latest_nps();
  if (auto it = measures.find(v1::CSAT_AVERAGE_90D); it != measures.end()) in.csat = it->second;
  in.adoption = adoption;
  const int64_t today = DayOf(s.as_of_seconds());
  in.advocacy_actions = static_cast<int>(
      std::count_if(s.advocacy_days().begin(), s.advocacy_days().end(), [&](int64_t d) { return d > today - 180; }));
  return in;
}

}  // namespace retention::health
