#include "tools/generate/generator.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"

namespace retention::generate {
namespace {

// SplitMix64: small, fast, and the same on every platform (the standard library's
// distributions are not), which keeps output byte-identical for a seed.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  int Int(int lo, int hi) { return lo + static_cast<int>(Next() % static_cast<uint64_t>(hi - lo + 1)); }
  bool Chance(double p) { return Uniform() < p; }
  double Normal() {
    const double u = std::max(Uniform(), 1e-12);
    return std::sqrt(-2 * std::log(u)) * std::cos(2 * M_PI * Uniform());
  }
  template <typename T>
  const T& Pick(const std::vector<T>& v) { return v[Next() % v.size()]; }

 private:
  uint64_t state_;
};

uint64_t AccountSeed(uint64_t seed, int64_t index) {
  Rng mix(seed * 0x2545F4914F6CDD1DULL + static_cast<uint64_t>(index));
  return mix.Next();
}

const std::vector<std::string> kIndustries = {"fintech", "healthcare", "retail", "manufacturing",
                                              "education", "media", "logistics"};
const std::vector<std::string> kRegions = {"na", "emea", "apac", "latam"};
const std::vector<std::string> kProducts = {"analytics", "workflows", "integrations", "mobile", "ai-assist"};
const std::vector<std::string> kFeatures = {"reports", "dashboards", "api", "alerts", "exports",
                                            "sso", "automations", "mobile-app"};
const std::vector<std::string> kCompetitors = {"northwind", "contoso", "initech"};
const std::vector<std::string> kOutcomes = {"reduced-close-time", "fewer-manual-reports", "faster-onboarding"};

// Builds one account's events; every event gets the next id of the account.
class AccountBuilder {
 public:
  AccountBuilder(const Settings& settings, std::string account_id)
      : settings_(settings), account_id_(std::move(account_id)) {}

  v1::InteractionEvent& Add(int day, int hour, const std::string& source, const std::string& contact = "") {
    v1::InteractionEvent& e = events_.emplace_back();
    e.set_event_id(absl::StrCat(account_id_, "-", events_.size()));
    e.set_account_id(account_id_);
    e.set_contact_id(contact);
    e.set_source(source);
    const absl::Time at = settings_.end - absl::Hours(24 * (settings_.days - day)) + absl::Hours(hour) +
                          absl::Minutes(static_cast<int>(events_.size() % 60));
    e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(at));
    return e;
  }

  // Nothing happens from `day` on: the account went dark.
  void GoDarkOn(int day) { dark_from_ = settings_.end - absl::Hours(24 * (settings_.days - day)); }

  std::vector<v1::InteractionEvent> Take() {
    const int64_t dark = absl::ToUnixSeconds(dark_from_);
    events_.erase(std::remove_if(events_.begin(), events_.end(),
                                 [&](const v1::InteractionEvent& e) { return e.occurred_at().seconds() >= dark; }),
                  events_.end());
    std::stable_sort(events_.begin(), events_.end(), [](const v1::InteractionEvent& a, const v1::InteractionEvent& b) {
      return a.occurred_at().seconds() < b.occurred_at().seconds();
    });
    return std::move(events_);
  }

 private:
  const Settings& settings_;
  std::string account_id_;
  std::vector<v1::InteractionEvent> events_;
  absl::Time dark_from_ = absl::InfiniteFuture();
};

Trajectory PickTrajectory(Rng& rng) {
  double u = rng.Uniform();
  for (const TrajectorySpec& spec : TrajectorySpecs()) {
    if (u < spec.share) return spec.trajectory;
    u -= spec.share;
  }
  return Trajectory::kHealthy;
}

const TrajectorySpec& SpecOf(Trajectory t) {
  for (const TrajectorySpec& spec : TrajectorySpecs()) {
    if (spec.trajectory == t) return spec;
  }
  return TrajectorySpecs().front();
}

}  // namespace

const char* TrajectoryName(Trajectory t) {
  switch (t) {
    case Trajectory::kHealthy: return "healthy";
    case Trajectory::kDecaying: return "decaying";
    case Trajectory::kChampionLoss: return "champion-loss";
    case Trajectory::kSupportTrouble: return "support-trouble";
    case Trajectory::kDetractor: return "detractor";
    case Trajectory::kStuck: return "stuck";
    case Trajectory::kAdvocate: return "advocate";
    case Trajectory::kGoesDark: return "goes-dark";
  }
  return "unknown";
}

const std::vector<TrajectorySpec>& TrajectorySpecs() {
  static const std::vector<TrajectorySpec> specs = {
      {Trajectory::kHealthy, 0.39, 0.04, 0.0, "budget"},
      {Trajectory::kDecaying, 0.12, 0.15, 0.75, "low-usage"},
      {Trajectory::kChampionLoss, 0.08, 0.20, 0.60, "champion-left"},
      {Trajectory::kSupportTrouble, 0.10, 0.15, 0.60, "support-quality"},
      {Trajectory::kDetractor, 0.08, 0.20, 0.60, "dissatisfied"},
      {Trajectory::kStuck, 0.07, 0.30, 0.50, "competitor"},
      {Trajectory::kAdvocate, 0.10, 0.02, 0.0, "budget"},
      {Trajectory::kGoesDark, 0.06, 0.50, 0.45, "no-adoption"},
  };
  return specs;
}

Account GenerateAccount(const Settings& settings, int64_t index) {
  Rng rng(AccountSeed(settings.seed, index));
  Account out;
  Label& label = out.label;
  label.account_id = absl::StrFormat("%s-%07d", settings.prefix, index);
  label.trajectory = PickTrajectory(rng);
  label.severity = rng.Uniform();
  const TrajectorySpec& spec = SpecOf(label.trajectory);
  const double s = label.severity;
  const Trajectory t = label.trajectory;
  const int days = settings.days;

  // Segment and contract. ARR is log-normal with sigma 1.68: the top 20% of accounts
  // then hold about 80% of revenue.
  label.arr = static_cast<int64_t>(std::clamp(15000 * std::exp(1.68 * rng.Normal()), 2000.0, 5'000'000.0));
  label.plan = label.arr >= 80000 ? "enterprise" : label.arr >= 15000 ? "business" : "starter";
  label.size = label.arr >= 150000 ? "enterprise" : label.arr >= 20000 ? "mid-market" : "smb";
  label.industry = rng.Pick(kIndustries);
  label.region = rng.Pick(kRegions);
  int seats = std::max(3, static_cast<int>(label.arr / rng.Uniform(300, 900)));
  if (t == Trajectory::kStuck) seats = std::max(seats, 120 + rng.Int(0, 300));  // deeply rolled out
  // An account that goes dark does so in the months before its renewal.
  label.renewal = settings.end + absl::Hours(24 * (t == Trajectory::kGoesDark ? rng.Int(7, 90) : rng.Int(1, 180)));
  label.advocate = t == Trajectory::kAdvocate;
  label.churned = rng.Chance(spec.churn_base + spec.churn_severity * s);
  if (label.churned) label.cause = spec.cause;

  AccountBuilder b(settings, label.account_id);
  {
    auto& e = b.Add(0, 1, "crm");
    auto* p = e.mutable_account_profile();
    p->set_plan(label.plan);
    p->set_size(label.size);
    p->set_industry(label.industry);
    p->set_region(label.region);
    for (const std::string& product : kProducts) {
      if (product == kProducts[0] || rng.Chance(0.4)) p->add_products(product);
    }
    p->set_strategic_importance(std::clamp(
        static_cast<int>(std::log10(static_cast<double>(label.arr) / 5000) * 3 + rng.Uniform(0, 3)), 0, 10));
  }
  {
    auto& e = b.Add(0, 2, "billing");
    auto* c = e.mutable_contract_billing();
    c->set_kind(v1::ContractBilling::RENEWED);
    c->mutable_renewal_date()->set_seconds(absl::ToUnixSeconds(label.renewal));
    c->set_arr(label.arr);
    c->set_seats(seats);
    c->set_currency("USD");
  }

  // Contacts: the sponsor first, then the champion, then users.
  const int contacts = label.size == "enterprise" ? rng.Int(5, 8) : label.size == "mid-market" ? rng.Int(3, 5) : rng.Int(2, 3);
  const bool has_champion = t == Trajectory::kChampionLoss || t == Trajectory::kAdvocate || rng.Chance(0.85);
  const std::vector<v1::StakeholderChange::Role> roles = {
      v1::StakeholderChange::EXECUTIVE_SPONSOR, v1::StakeholderChange::ADMIN, v1::StakeholderChange::POWER_USER,
      v1::StakeholderChange::MANAGER, v1::StakeholderChange::END_USER, v1::StakeholderChange::DIRECTOR,
      v1::StakeholderChange::END_USER, v1::StakeholderChange::ECONOMIC_BUYER};
  const std::string champion_id = absl::StrCat(label.account_id, "-c1");
  for (int i = 0; i < contacts; ++i) {
    auto& e = b.Add(0, 3, "crm", absl::StrCat(label.account_id, "-c", i));
    auto* sc = e.mutable_stakeholder_change();
    sc->set_kind(v1::StakeholderChange::JOINED);
    sc->set_role(label.size == "smb" && i == 0 ? v1::StakeholderChange::MANAGER : roles[i]);
    sc->set_champion(i == 1 && has_champion);
  }

  // Usage every day. Adoption is the share of seats active; each trajectory bends it.
  const double base_adoption = t == Trajectory::kStuck ? rng.Uniform(0.35, 0.6) : rng.Uniform(0.55, 0.9);
  const int decline_start = days - rng.Int(45, 75);
  const int champion_left = days - rng.Int(15, 80);
  // Going dark 2 to 11 weeks before the history ends, the more severe the earlier (and
  // the likelier to churn); never in the first third of a short history.
  const int dark_day = std::max(days / 3, days - 14 - static_cast<int>(std::lround(66 * s)));
  if (t == Trajectory::kGoesDark) b.GoDarkOn(dark_day);
  // Accounts sometimes pause (holidays, a broken connector) and come back: a short
  // silence is not yet a verdict, a long one is.
  const bool pauses = t != Trajectory::kGoesDark && rng.Chance(0.25);
  const int pause_from = rng.Int(0, days - 1);
  const int pause_until = pause_from + rng.Int(3, 21);
  int features = t == Trajectory::kStuck ? rng.Int(2, 4) : rng.Int(3, 7);
  for (int d = 0; d < days; ++d) {
    if (pauses && d >= pause_from && d < pause_until) continue;
    double adoption = base_adoption;
    if (t == Trajectory::kDecaying && d >= decline_start) {
      adoption *= 1 - 0.85 * s * (d - decline_start) / static_cast<double>(days - decline_start);
    }
    if (t == Trajectory::kChampionLoss && d >= champion_left) {
      adoption *= 1 - 0.5 * s * std::min(1.0, (d - champion_left) / 30.0);
    }
    if (t == Trajectory::kDetractor && d >= decline_start) adoption *= 1 - 0.25 * s;
    if (t == Trajectory::kAdvocate) adoption = std::min(0.98, adoption * 1.1);
    if (t == Trajectory::kGoesDark && d >= dark_day - 10) adoption *= 0.4 + 0.6 * (dark_day - d) / 10.0;  // tails off
    const int active = std::max(0, static_cast<int>(std::lround(seats * adoption * (1 + 0.08 * rng.Normal()))));
    auto& e = b.Add(d, 23, "product-analytics");
    auto* u = e.mutable_product_usage();
    u->set_active_users(active);
    u->set_licensed_seats(seats);
    u->set_sessions(active * rng.Int(2, 6));
    u->set_period_hours(24);
    const int used = t == Trajectory::kDecaying && d >= decline_start ? std::max(1, features - static_cast<int>(3 * s))
                                                                       : features;
    for (int f = 0; f < used && f < static_cast<int>(kFeatures.size()); ++f) u->add_features_used(kFeatures[f]);
  }

  // Support: a trickle for everyone; trouble adds tickets, escalations and slow fixes.
  int ticket = 0;
  for (int d = 0; d < days; ++d) {
    const bool trouble = t == Trajectory::kSupportTrouble && d >= days - 60;
    const double rate = trouble ? 0.08 + 0.25 * s : 0.03;
    if (!rng.Chance(rate)) continue;
    const std::string id = absl::StrCat(label.account_id, "-t", ++ticket);
    auto& opened = b.Add(d, rng.Int(8, 12), "zendesk", absl::StrCat(label.account_id, "-c", rng.Int(1, contacts - 1)));
    opened.mutable_support_ticket()->set_ticket_id(id);
    opened.mutable_support_ticket()->set_status(v1::SupportTicket::OPENED);
    opened.mutable_support_ticket()->set_priority(trouble ? v1::SupportTicket::HIGH : v1::SupportTicket::NORMAL);
    const bool escalate = trouble ? rng.Chance(0.25 + 0.45 * s) : rng.Chance(0.04);
    if (escalate) {
      auto& esc = b.Add(d, 14, "zendesk");
      esc.mutable_support_ticket()->set_ticket_id(id);
      esc.mutable_support_ticket()->set_status(v1::SupportTicket::ESCALATED);
      esc.mutable_support_ticket()->set_priority(v1::SupportTicket::URGENT);
    }
    const double hours = trouble ? rng.Uniform(24, 24 + 120 * s) : rng.Uniform(2, 30);
    const int resolved_day = std::min(days - 1, d + static_cast<int>(hours / 24));
    auto& res = b.Add(resolved_day, 17, "zendesk");
    res.mutable_support_ticket()->set_ticket_id(id);
    res.mutable_support_ticket()->set_status(v1::SupportTicket::RESOLVED);
    res.mutable_support_ticket()->set_hours_to_resolve(std::round(hours * 10) / 10);
    if (rng.Chance(0.5)) res.mutable_support_ticket()->set_satisfaction(trouble ? rng.Int(1, 3) : rng.Int(3, 5));
  }

  // The relationship survey, once in the last two months.
  {
    int nps = rng.Int(6, 10);
    switch (t) {
      case Trajectory::kHealthy: nps = rng.Chance(0.1) ? rng.Int(5, 6) : rng.Int(7, 10); break;
      case Trajectory::kAdvocate: nps = rng.Int(9, 10); break;
      case Trajectory::kDetractor: nps = std::clamp(static_cast<int>(std::lround(6 - 6 * s + rng.Normal())), 0, 6); break;
      case Trajectory::kStuck: nps = rng.Int(2, 6); break;
      case Trajectory::kSupportTrouble: nps = rng.Int(4, 8); break;
      case Trajectory::kChampionLoss: nps = rng.Int(5, 8); break;
      case Trajectory::kDecaying: nps = rng.Int(5, 9); break;
      case Trajectory::kGoesDark: nps = rng.Int(5, 9); break;  // lukewarm, if asked before it went quiet
    }
    auto& e = b.Add(days - rng.Int(5, 55), 10, "surveys", absl::StrCat(label.account_id, "-c", rng.Int(0, contacts - 1)));
    auto* r = e.mutable_survey_response();
    r->set_survey_id("relationship-nps");
    r->set_nps(nps);
    const bool unhappy = t == Trajectory::kDetractor || t == Trajectory::kStuck;
    r->set_csat(unhappy ? rng.Int(1, 3) : nps >= 9 ? 5 : rng.Int(3, 5));
  }

  // The champion leaves.
  if (t == Trajectory::kChampionLoss) {
    auto& e = b.Add(champion_left, 9, "crm", champion_id);
    e.mutable_stakeholder_change()->set_kind(v1::StakeholderChange::LEFT_COMPANY);
    e.mutable_stakeholder_change()->set_role(v1::StakeholderChange::ADMIN);
    e.mutable_stakeholder_change()->set_champion(true);
  }

  // Engagement: reviews with larger accounts, trainings and webinars for the engaged.
  if (label.plan != "starter") {
    for (int d = rng.Int(0, 60); d < days; d += 90) {
      if (t == Trajectory::kDecaying && d >= decline_start && rng.Chance(s)) continue;  // meetings lapse
      b.Add(d, 15, "gainsight").mutable_engagement()->set_kind(v1::Engagement::QBR);
    }
  }
  const bool engaged = t == Trajectory::kHealthy || t == Trajectory::kAdvocate;
  for (int n = rng.Int(0, engaged ? 4 : 1); n > 0; --n) {
    auto& e = b.Add(rng.Int(0, days - 1), 16, "lms", absl::StrCat(label.account_id, "-c", rng.Int(0, contacts - 1)));
    e.mutable_engagement()->set_kind(rng.Chance(0.5) ? v1::Engagement::TRAINING : v1::Engagement::WEBINAR);
    e.mutable_engagement()->set_attendees(rng.Int(1, 12));
  }

  // Value confirmed.
  if (engaged && rng.Chance(t == Trajectory::kAdvocate ? 1.0 : 0.5)) {
    auto& e = b.Add(days - rng.Int(5, 80), 11, "gainsight", champion_id);
    e.mutable_value_delivery()->set_outcome(rng.Pick(kOutcomes));
    e.mutable_value_delivery()->set_impact(rng.Int(10, 200));
    e.mutable_value_delivery()->set_impact_unit("hours/month");
  }

  // Billing trouble and seat changes.
  const double payment_failure = t == Trajectory::kStuck || t == Trajectory::kDetractor ? 0.25 + 0.3 * s
                                 : t == Trajectory::kDecaying                            ? 0.2 * s
                                                                                         : 0.04;
  if (rng.Chance(payment_failure)) {
    auto& e = b.Add(days - rng.Int(3, 80), 6, "billing");
    e.mutable_contract_billing()->set_kind(v1::ContractBilling::PAYMENT_FAILED);
    e.mutable_contract_billing()->set_amount_due(label.arr / 12);
    e.mutable_contract_billing()->set_currency("USD");
  }
  if (t == Trajectory::kDecaying && s > 0.5) {
    const int cut = std::max(1, static_cast<int>(seats * 0.3 * s));
    auto& e = b.Add(days - rng.Int(3, 30), 12, "billing");
    e.mutable_contract_billing()->set_kind(v1::ContractBilling::CONTRACTED);
    e.mutable_contract_billing()->set_seat_change(-cut);
    e.mutable_contract_billing()->set_seats(seats - cut);
  }
  if (engaged && rng.Chance(0.3)) {
    const int added = std::max(1, seats / 10);
    auto& e = b.Add(days - rng.Int(10, 80), 12, "billing");
    e.mutable_contract_billing()->set_kind(v1::ContractBilling::EXPANDED);
    e.mutable_contract_billing()->set_seat_change(added);
    e.mutable_contract_billing()->set_seats(seats + added);
    auto& w = b.Add(days - rng.Int(10, 80), 12, "salesforce");
    w.mutable_win_loss()->set_outcome(v1::WinLossOutcome::WON);
    w.mutable_win_loss()->add_reasons("product-fit");
    w.mutable_win_loss()->set_expected_value(label.arr / 10);
    w.mutable_win_loss()->set_actual_value(label.arr / 10);
  }

  // A competitor in the account: an expansion lost, with its reasons.
  const double competitor = t == Trajectory::kStuck || t == Trajectory::kDetractor ? 0.2 + 0.5 * s
                            : t == Trajectory::kDecaying                            ? 0.3 * s
                                                                                    : 0.02;
  if (rng.Chance(competitor)) {
    auto& e = b.Add(days - rng.Int(3, 90), 13, "salesforce");
    auto* w = e.mutable_win_loss();
    w->set_outcome(v1::WinLossOutcome::LOST);
    w->add_reasons(t == Trajectory::kStuck ? "price" : "competitor");
    w->add_reasons(t == Trajectory::kDecaying ? "low-usage" : "missing-feature");
    w->set_competitor(rng.Pick(kCompetitors));
    w->set_expected_value(label.arr / 5);
  }

  // Advocacy: consent, then reviews, calls, case studies, referrals, public mentions.
  if (t == Trajectory::kAdvocate) {
    b.Add(rng.Int(0, 30), 10, "advocacy", champion_id).mutable_advocacy_action()->set_kind(
        v1::AdvocacyAction::REFERENCE_CONSENT);
    const std::vector<v1::AdvocacyAction::Kind> kinds = {v1::AdvocacyAction::REVIEW, v1::AdvocacyAction::REFERENCE_CALL,
                                                         v1::AdvocacyAction::CASE_STUDY, v1::AdvocacyAction::REFERRAL,
                                                         v1::AdvocacyAction::PUBLIC_MENTION};
    for (int n = rng.Int(1, 4); n > 0; --n) {
      auto& e = b.Add(rng.Int(31, days - 1), 14, "advocacy", champion_id);
      auto* a = e.mutable_advocacy_action();
      a->set_kind(rng.Pick(kinds));
      if (a->kind() == v1::AdvocacyAction::REVIEW) {
        a->set_channel("g2");
        a->set_rating(5);
      }
      if (a->kind() == v1::AdvocacyAction::PUBLIC_MENTION) a->set_channel("podcast:saas-weekly");
    }
  }

  out.events = b.Take();
  return out;
}

void Generate(const Settings& settings, const NoiseSettings& noise, int64_t chunk_accounts,
              const std::function<bool(const std::vector<OutputRecord>&, const std::vector<Label>&)>& emit) {
  google::protobuf::util::JsonPrintOptions json;
  for (int64_t first = 0; first < settings.accounts; first += chunk_accounts) {
    const int64_t last = std::min(settings.accounts, first + chunk_accounts);
    Rng rng(AccountSeed(settings.seed ^ 0x6e6f697365ULL, first));  // the chunk's noise
    std::vector<OutputRecord> records;
    std::vector<Label> labels;
    for (int64_t i = first; i < last; ++i) {
      Account account = GenerateAccount(settings, i);
      for (const v1::InteractionEvent& e : account.events) {
        OutputRecord r;
        r.at = absl::FromUnixSeconds(e.occurred_at().seconds());
        r.account_id = e.account_id();
        (void)google::protobuf::util::MessageToJsonString(e, &r.line, json);
        if (rng.Chance(noise.repeat)) {
          OutputRecord again = r;
          again.repeat = true;
          again.at += absl::Minutes(rng.Int(1, 600));  // a retry, some time later
          records.push_back(std::move(again));
        }
        if (rng.Chance(noise.malformed)) {
          OutputRecord bad = r;
          bad.malformed = true;
          switch (rng.Int(0, 2)) {
            case 0:  // cut short in transit
              bad.line = r.line.substr(0, r.line.size() / 2);
              break;
            case 1: {  // a producer forgot the account
              v1::InteractionEvent copy = e;
              copy.set_event_id(absl::StrCat(e.event_id(), "-noacct"));
              copy.clear_account_id();
              bad.line.clear();
              (void)google::protobuf::util::MessageToJsonString(copy, &bad.line, json);
              break;
            }
            default: {  // no payload at all
              v1::InteractionEvent copy = e;
              copy.set_event_id(absl::StrCat(e.event_id(), "-empty"));
              copy.clear_payload();
              bad.line.clear();
              (void)google::protobuf::util::MessageToJsonString(copy, &bad.line, json);
              break;
            }
          }
          records.push_back(std::move(bad));
        }
        records.push_back(std::move(r));
      }
      labels.push_back(std::move(account.label));
    }
    // Chunk order by time; stable, so an account's records keep their order.
    std::stable_sort(records.begin(), records.end(),
                     [](const OutputRecord& a, const OutputRecord& b) { return a.at < b.at; });
    if (!emit(records, labels)) return;
  }
}

std::string LabelsHeader() {
  return "account_id,trajectory,severity,churned,cause,advocate,arr,renewal_date,plan,size,industry,region";
}

std::string LabelRow(const Label& l) {
  return absl::StrCat(l.account_id, ",", TrajectoryName(l.trajectory), ",", absl::StrFormat("%.4f", l.severity), ",",
                      l.churned ? 1 : 0, ",", l.cause, ",", l.advocate ? 1 : 0, ",", l.arr, ",",
                      absl::FormatTime("%Y-%m-%d", l.renewal, absl::UTCTimeZone()), ",", l.plan, ",", l.size, ",",
                      l.industry, ",", l.region);
}

}  // namespace retention::generate
