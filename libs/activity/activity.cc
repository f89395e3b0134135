#include "libs/activity/activity.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>

namespace retention::activity {
namespace {

constexpr int64_t kSecondsPerDay = 86400;

uint32_t FeatureId(const std::string& key) {
  uint32_t h = 2166136261u;
  for (unsigned char c : key) h = (h ^ c) * 16777619u;
  return h;
}

// The facts of `day`, created in order; nullptr if outside the window.
DayFacts* FactsFor(Activity* a, int32_t day, int32_t today) {
  if (day <= today - kDaysKept || day > today) return nullptr;
  auto* days = a->mutable_days();
  auto it = std::lower_bound(days->begin(), days->end(), day, [](const DayFacts& f, int32_t d) { return f.day() < d; });
  if (it != days->end() && it->day() == day) return &*it;
  const int index = static_cast<int>(it - days->begin());
  DayFacts* added = days->Add();
  added->set_day(day);
  for (int i = days->size() - 1; i > index; --i) days->SwapElements(i, i - 1);
  return days->Mutable(index);
}

// The usage slot of `day`, growing the arrays; nullptr if outside the window.
void AddUsage(Activity* a, int32_t day, int32_t today, int32_t active, int32_t sessions) {
  if (day <= today - kDaysKept || day > today) return;
  if (a->usage_active_size() == 0) a->set_usage_base_day(day);
  if (day < a->usage_base_day()) {
    // Prepend zero days down to `day`.
    const int32_t extra = a->usage_base_day() - day;
    google::protobuf::RepeatedField<int32_t> active_list, session_list;
    active_list.Resize(extra + a->usage_active_size(), 0);
    session_list.Resize(extra + a->usage_sessions_size(), 0);
    for (int i = 0; i < a->usage_active_size(); ++i) {
      active_list.Set(extra + i, a->usage_active(i));
      session_list.Set(extra + i, a->usage_sessions(i));
    }
    a->mutable_usage_active()->Swap(&active_list);
    a->mutable_usage_sessions()->Swap(&session_list);
    a->set_usage_base_day(day);
  }
  const int index = day - a->usage_base_day();
  while (a->usage_active_size() <= index) {
    a->add_usage_active(0);
    a->add_usage_sessions(0);
  }
  a->set_usage_active(index, std::max(a->usage_active(index), active));
  a->set_usage_sessions(index, a->usage_sessions(index) + sessions);
}

void ApplyStakeholder(const v1::InteractionEvent& e, Activity* a, DayFacts* facts, FoldNotes* notes) {
  const auto& change = e.stakeholder_change();
  a->set_stakeholders_known(true);
  auto* list = a->mutable_stakeholders();
  auto it = std::find_if(list->begin(), list->end(), [&](const Stakeholder& s) { return s.contact_id() == e.contact_id(); });
  if (change.kind() == v1::StakeholderChange::LEFT_COMPANY) {
    const bool was_champion = change.champion() || (it != list->end() && it->champion());
    if (it != list->end()) list->erase(it);
    if (was_champion && facts != nullptr) facts->set_champions_left(facts->champions_left() + 1);
    return;
  }
  Stakeholder* s = it != list->end() ? &*it : nullptr;
  if (s == nullptr) {
    if (list->size() >= kMaxStakeholders) {
      list->erase(list->begin());  // the oldest known goes
      ++notes->dropped_stakeholders;
    }
    s = list->Add();
  }
  s->set_contact_id(e.contact_id());
  s->set_role(change.role());
  s->set_champion(change.champion());
}

template <typename F>
double SumFacts(const Activity& a, int32_t from, int32_t to, F field) {
  double total = 0;
  for (const DayFacts& f : a.days()) {
    if (f.day() >= from && f.day() <= to) total += field(f);
  }
  return total;
}

// Sum and maximum of active users over usage days in [from, to], and the days with usage.
struct UsageWindow {
  double sum = 0;
  double max = 0;
  int used_days = 0;
};
UsageWindow Usage(const Activity& a, int32_t from, int32_t to) {
  UsageWindow w;
  for (int i = 0; i < a.usage_active_size(); ++i) {
    // 64 bits and a bounds check: a stored state may be corrupt.
    const int64_t day = int64_t{a.usage_base_day()} + i;
    if (day < from || day > to) continue;
    const double active = a.usage_active(i);
    w.sum += active;
    w.max = std::max(w.max, active);
    if (a.usage_active(i) > 0 || (i < a.usage_sessions_size() && a.usage_sessions(i) > 0)) ++w.used_days;
  }
  return w;
}

// Days from `from` to `to`, saturated to int32: a corrupt stored day cannot overflow.
int32_t DaysBetween(int32_t from, int32_t to) {
  const int64_t days = int64_t{to} - from;
  return static_cast<int32_t>(std::clamp<int64_t>(days, INT32_MIN, INT32_MAX));
}

// A stored state is not trusted: the usage arrays go the same length, and usage dated
// after `today` (which folding never records) goes.
void RepairUsage(int32_t today, Activity* a) {
  auto* active = a->mutable_usage_active();
  auto* sessions = a->mutable_usage_sessions();
  if (sessions->size() != active->size()) sessions->Resize(active->size(), 0);
  if (active->empty()) return;
  const int64_t kept = int64_t{today} - a->usage_base_day() + 1;
  if (kept < active->size()) {
    const int keep = static_cast<int>(std::max<int64_t>(kept, 0));
    active->Truncate(keep);
    sessions->Truncate(keep);
  }
}

}  // namespace

int32_t DayOfSeconds(int64_t unix_seconds) {
  // Floor division that cannot overflow, clamped to the days a Timestamp can name, so
  // that windows reaching a few hundred days back from any day stay within int32.
  const int64_t day = unix_seconds / kSecondsPerDay - (unix_seconds % kSecondsPerDay < 0 ? 1 : 0);
  return static_cast<int32_t>(std::clamp<int64_t>(day, kFirstDay, kLastDay));
}

int32_t DayOf(absl::Time t) { return DayOfSeconds(absl::ToUnixSeconds(t)); }

void Prune(int32_t today, Activity* a) {
  RepairUsage(today, a);
  const int32_t oldest = today - kDaysKept + 1;
  if (a->usage_active_size() > 0 && a->usage_base_day() < oldest) {
    const int drop = static_cast<int>(std::min<int64_t>(a->usage_active_size(), int64_t{oldest} - a->usage_base_day()));
    a->mutable_usage_active()->erase(a->mutable_usage_active()->begin(), a->mutable_usage_active()->begin() + drop);
    a->mutable_usage_sessions()->erase(a->mutable_usage_sessions()->begin(),
                                       a->mutable_usage_sessions()->begin() + drop);
    a->set_usage_base_day(a->usage_active_size() == 0 ? 0 : oldest);
  }
  // Days without usage at either end carry nothing.
  while (a->usage_active_size() > 0 && a->usage_active(a->usage_active_size() - 1) == 0 &&
         a->usage_sessions(a->usage_sessions_size() - 1) == 0) {
    a->mutable_usage_active()->RemoveLast();
    a->mutable_usage_sessions()->RemoveLast();
  }
  int leading = 0;
  while (leading < a->usage_active_size() && a->usage_active(leading) == 0 && a->usage_sessions(leading) == 0) ++leading;
  if (leading > 0) {
    a->mutable_usage_active()->erase(a->mutable_usage_active()->begin(), a->mutable_usage_active()->begin() + leading);
    a->mutable_usage_sessions()->erase(a->mutable_usage_sessions()->begin(),
                                       a->mutable_usage_sessions()->begin() + leading);
    a->set_usage_base_day(a->usage_base_day() + leading);
  }
  if (a->usage_active_size() == 0) a->set_usage_base_day(0);
  auto* days = a->mutable_days();
  int drop = 0;
  while (drop < days->size() && days->Get(drop).day() < oldest) ++drop;
  if (drop > 0) days->DeleteSubrange(0, drop);
  auto* features = a->mutable_features();
  features->erase(std::remove_if(features->begin(), features->end(),
                                 [&](const FeatureUse& f) { return f.last_day() < oldest; }),
                  features->end());
  auto* advocacy = a->mutable_advocacy_days();
  advocacy->erase(std::remove_if(advocacy->begin(), advocacy->end(),
                                 [&](int32_t d) { return d <= today - kAdvocacyDaysKept; }),
                  advocacy->end());
}

FoldNotes Apply(const v1::InteractionEvent& e, absl::Time now, Activity* a) {
  FoldNotes notes;
  const int32_t today = DayOf(now);
  const int64_t when = e.occurred_at().seconds();
  const int32_t day = std::min(DayOfSeconds(when), today);
  Prune(today, a);
  a->set_events(a->events() + 1);
  a->set_last_event_at(std::max(a->last_event_at(), when));
  if (a->first_day() == 0 || day < a->first_day()) a->set_first_day(day);
  DayFacts* facts = nullptr;
  const auto day_facts = [&]() -> DayFacts* {
    if (facts == nullptr) facts = FactsFor(a, day, today);
    return facts;
  };
  switch (e.payload_case()) {
    case v1::InteractionEvent::kProductUsage: {
      const auto& u = e.product_usage();
      if (u.licensed_seats() > 0) a->set_seats(u.licensed_seats());
      a->set_last_usage_day(std::max(a->last_usage_day(), day));
      AddUsage(a, day, today, u.active_users(), u.sessions());
      if (day > today - kDaysKept) {
        for (const std::string& key : u.features_used()) {
          const uint32_t id = FeatureId(key);
          auto* features = a->mutable_features();
          auto it = std::find_if(features->begin(), features->end(), [id](const FeatureUse& f) { return f.id() == id; });
          if (it != features->end()) {
            it->set_last_day(std::max(it->last_day(), day));
            continue;
          }
          if (features->size() >= kMaxFeatures) {
            // The least recently used goes.
            auto oldest = std::min_element(features->begin(), features->end(), [](const FeatureUse& x, const FeatureUse& y) {
              return x.last_day() < y.last_day();
            });
            if (oldest->last_day() >= day) {
              ++notes.dropped_features;
              continue;
            }
            features->erase(oldest);
            ++notes.dropped_features;
          }
          FeatureUse* added = features->Add();
          added->set_id(id);
          added->set_last_day(day);
        }
      }
      break;
    }
    case v1::InteractionEvent::kSupportTicket: {
      const auto& t = e.support_ticket();
      DayFacts* f = day_facts();
      if (f == nullptr) break;
      if (t.status() == v1::SupportTicket::OPENED) f->set_tickets_opened(f->tickets_opened() + 1);
      if (t.status() == v1::SupportTicket::ESCALATED) f->set_escalations(f->escalations() + 1);
      if (t.status() == v1::SupportTicket::RESOLVED) {
        f->set_tickets_resolved(f->tickets_resolved() + 1);
        f->set_hours_to_resolve_sum(f->hours_to_resolve_sum() + static_cast<float>(t.hours_to_resolve()));
      }
      if (t.has_satisfaction()) {
        f->set_csat_count(f->csat_count() + 1);
        f->set_csat_sum(f->csat_sum() + static_cast<float>(t.satisfaction()));
      }
      break;
    }
    case v1::InteractionEvent::kSurveyResponse: {
      const auto& r = e.survey_response();
      if (r.has_nps() && when >= a->nps_at()) {
        a->set_has_nps(true);
        a->set_nps(r.nps());
        a->set_nps_at(when);
      }
      if (r.has_csat()) {
        if (DayFacts* f = day_facts()) {
          f->set_csat_count(f->csat_count() + 1);
          f->set_csat_sum(f->csat_sum() + static_cast<float>(r.csat()));
        }
      }
      break;
    }
    case v1::InteractionEvent::kContractBilling: {
      const auto& c = e.contract_billing();
      if (c.has_renewal_date()) a->set_renewal_at(c.renewal_date().seconds());
      if (c.seats() > 0) a->set_seats(c.seats());
      if (c.arr() > 0) a->set_arr(c.arr());
      DayFacts* f = day_facts();
      if (f == nullptr) break;
      if (c.kind() == v1::ContractBilling::PAYMENT_FAILED) f->set_payment_failures(f->payment_failures() + 1);
      f->set_seat_change(f->seat_change() + c.seat_change());
      break;
    }
    case v1::InteractionEvent::kStakeholderChange:
      ApplyStakeholder(e, a, day_facts(), &notes);
      break;
    case v1::InteractionEvent::kEngagement: {
      const auto kind = e.engagement().kind();
      a->set_last_engagement_day(std::max(a->last_engagement_day(), day));
      if (kind == v1::Engagement::QBR || kind == v1::Engagement::EXEC_MEETING) {
        a->set_last_qbr_day(std::max(a->last_qbr_day(), day));
      }
      DayFacts* f = day_facts();
      if (f == nullptr) break;
      if (kind == v1::Engagement::TRAINING || kind == v1::Engagement::ONBOARDING) f->set_trainings(f->trainings() + 1);
      if (kind == v1::Engagement::WEBINAR) f->set_webinars(f->webinars() + 1);
      break;
    }
    case v1::InteractionEvent::kValueDelivery:
      a->set_last_value_day(std::max(a->last_value_day(), day));
      break;
    case v1::InteractionEvent::kAdvocacyAction: {
      const auto kind = e.advocacy_action().kind();
      if (kind != v1::AdvocacyAction::REFERENCE_CONSENT && kind != v1::AdvocacyAction::CONSENT_REVOKED &&
          day > today - kAdvocacyDaysKept) {
        a->add_advocacy_days(day);
      }
      break;
    }
    case v1::InteractionEvent::kAccountProfile:
      a->set_plan(e.account_profile().plan());
      a->set_size(e.account_profile().size());
      a->set_strategic_importance(e.account_profile().strategic_importance());
      break;
    case v1::InteractionEvent::kWinLoss:
    case v1::InteractionEvent::PAYLOAD_NOT_SET:
      break;
  }
  Prune(today, a);
  return notes;
}

std::optional<int32_t> DaysSinceUsage(const Activity& a, int32_t today) {
  if (a.last_usage_day() == 0) return std::nullopt;
  return DaysBetween(a.last_usage_day(), today);
}

std::optional<int32_t> DaysSilent(const Activity& a, int32_t today) {
  const int32_t last = std::max(a.last_usage_day(), a.last_engagement_day());
  if (last == 0) return std::nullopt;
  return DaysBetween(last, today);
}

int AdvocacyActions(const Activity& a, int32_t today) {
  return static_cast<int>(
      std::count_if(a.advocacy_days().begin(), a.advocacy_days().end(), [&](int32_t d) { return d > today - kAdvocacyDaysKept; }));
}

absl::Time NextDailyTick(const std::string& account, absl::Time after) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : account) h = (h ^ c) * 1099511628211ULL;
  const int64_t offset = static_cast<int64_t>(h % kSecondsPerDay);
  absl::Time t = absl::FromUnixSeconds(static_cast<int64_t>(DayOf(after)) * kSecondsPerDay + offset);
  if (t <= after) t += absl::Hours(24);
  return t;
}

MeasureValues ComputeMeasures(const Activity& a, int32_t today) {
  MeasureValues m;
  if (a.last_usage_day() > 0) {
    // Had usage: a quiet window reads as inactive, not as missing data.
    const UsageWindow last7 = Usage(a, today - 6, today);
    const UsageWindow last30 = Usage(a, today - 29, today);
    const UsageWindow before30 = Usage(a, today - 59, today - 30);
    if (a.seats() > 0) m[v1::ACTIVE_USER_RATIO] = last7.max / a.seats();
    int breadth = 0;
    for (const FeatureUse& f : a.features()) breadth += f.last_day() > today - 30 ? 1 : 0;
    m[v1::FEATURE_BREADTH] = breadth;
    m[v1::STICKINESS] = last30.max > 0 && last7.used_days > 0 ? (last7.sum / last7.used_days) / last30.max : 0;
    if (before30.sum > 0) {
      m[v1::USAGE_CHANGE_30D] = (last30.sum - before30.sum) / before30.sum;
    } else if (last30.sum == 0) {
      m[v1::USAGE_CHANGE_30D] = -1;  // quiet for 60 days: all usage gone
    }
  }
  const auto count = [&](int32_t days, auto field) { return SumFacts(a, today - days + 1, today, field); };
  // No tickets says the product works only while the account is there to use it: for
  // an account silent through the whole window, no tickets is no data.
  const int32_t last_seen = a.last_event_at() > 0 ? DayOfSeconds(a.last_event_at()) : std::numeric_limits<int32_t>::min() / 2;
  const auto present = [&](int32_t days) { return last_seen > today - days; };
  const double tickets30 = count(30, [](const DayFacts& f) { return f.tickets_opened(); });
  const double tickets_before = SumFacts(a, today - 59, today - 30, [](const DayFacts& f) { return f.tickets_opened(); });
  if (present(30) || tickets30 > 0) m[v1::TICKETS_30D] = tickets30;
  if (present(60) || tickets30 + tickets_before > 0) m[v1::TICKET_CHANGE_30D] = tickets30 - tickets_before;
  const double escalations = count(90, [](const DayFacts& f) { return f.escalations(); });
  if (present(90) || escalations > 0) m[v1::ESCALATIONS_90D] = escalations;
  const double resolved = count(90, [](const DayFacts& f) { return f.tickets_resolved(); });
  if (resolved > 0) {
    m[v1::HOURS_TO_RESOLVE_90D] = count(90, [](const DayFacts& f) { return f.hours_to_resolve_sum(); }) / resolved;
  }
  // An answer goes stale: what a customer said a year ago is not what it thinks now.
  if (a.has_nps() && DayOfSeconds(a.nps_at()) > today - kNpsFreshDays) m[v1::NPS_LATEST] = a.nps();
  const double csat_n = count(90, [](const DayFacts& f) { return f.csat_count(); });
  if (csat_n > 0) m[v1::CSAT_AVERAGE_90D] = count(90, [](const DayFacts& f) { return f.csat_sum(); }) / csat_n;
  if (a.last_qbr_day() > 0) m[v1::DAYS_SINCE_QBR] = DaysBetween(a.last_qbr_day(), today);
  m[v1::TRAININGS_90D] = count(90, [](const DayFacts& f) { return f.trainings(); });
  m[v1::WEBINARS_90D] = count(90, [](const DayFacts& f) { return f.webinars(); });
  if (a.stakeholders_known()) {
    std::set<int> roles;
    bool champion = false;
    bool sponsor = false;
    for (const Stakeholder& s : a.stakeholders()) {
      roles.insert(s.role());
      champion = champion || s.champion();
      sponsor = sponsor || s.role() == v1::StakeholderChange::EXECUTIVE_SPONSOR ||
                s.role() == v1::StakeholderChange::ECONOMIC_BUYER;
    }
    m[v1::ROLES_COVERED] = static_cast<double>(roles.size());
    m[v1::CHAMPION_PRESENT] = champion ? 1 : 0;
    m[v1::EXECUTIVE_SPONSOR_PRESENT] = sponsor ? 1 : 0;
    m[v1::CHAMPION_LEFT_90D] = count(90, [](const DayFacts& f) { return f.champions_left(); });
  }
  m[v1::PAYMENT_FAILURES_90D] = count(90, [](const DayFacts& f) { return f.payment_failures(); });
  if (a.seats() > 0) m[v1::SEAT_CHANGE_90D] = count(90, [](const DayFacts& f) { return f.seat_change(); }) / a.seats();
  if (a.renewal_at() > 0) m[v1::DAYS_TO_RENEWAL] = DaysBetween(today, DayOfSeconds(a.renewal_at()));
  if (a.last_value_day() > 0) m[v1::DAYS_SINCE_VALUE_CONFIRMED] = DaysBetween(a.last_value_day(), today);
  return m;
}

}  // namespace retention::activity
