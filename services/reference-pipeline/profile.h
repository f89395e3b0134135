// reference-pipeline's rules, free of storage and transport: folding events, health and
// churn signals into an advocacy profile; eligibility (from the profile and the
// account's reference requests); ranking a candidate against a prospect, explained.
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "retention/v1/advocacy.pb.h"
#include "retention/v1/churn_risk.pb.h"
#include "retention/v1/health.pb.h"
#include "retention/v1/interaction_event.pb.h"
#include "services/reference-pipeline/reference_state.pb.h"

namespace retention::reference {

using referencepipeline::ReferenceAccountState;

// What an input changed that may call for a signal.
struct Applied {
  bool contract_signed = false;  // SIGNED, RENEWED or EXPANDED
  bool risk_rose = false;        // the churn tier rose above the policy's maximum
};

// Contacts kept per account at most (the oldest known go first).
inline constexpr int kMaxContacts = 50;

// Fold an input into the profile; `now` is the partition's clock.
Applied ApplyEvent(const v1::InteractionEvent& event, ReferenceAccountState* state);
Applied ApplyHealth(const v1::HealthSignal& signal, ReferenceAccountState* state);
Applied ApplyChurn(const v1::ReferencePolicy& policy, const v1::ChurnRiskSignal& signal, ReferenceAccountState* state);

// Why the stream-built conditions fail at `now` (band, stage, churn tier, success,
// consent); empty when they hold.
std::vector<std::string> StreamReasons(const v1::ReferencePolicy& policy, const v1::AdvocacyProfile& profile,
                                       absl::Time now);

// The profile with its request fields filled from `requests` and its eligibility at
// `now`: the stream conditions, no open request, no ask within the cooldown, fewer
// asks in the last year than the cap. Declined asks count as asks. Whether the account
// advocates (an action within advocate_within_days) is judged at `now` too.
v1::AdvocacyProfile Evaluate(const v1::ReferencePolicy& policy, v1::AdvocacyProfile profile,
                             const std::vector<v1::ReferenceRequest>& requests, absl::Time now);

// The candidate's score for `criteria` (what Rank sums, without the explanation).
double Score(const v1::ReferencePolicy& policy, const v1::ReferenceCriteria& criteria,
             const v1::AdvocacyProfile& profile, absl::Time now);

// The candidate's score for `criteria` with its parts; `profile` as from Evaluate.
v1::ReferenceCandidate Rank(const v1::ReferencePolicy& policy, const v1::ReferenceCriteria& criteria,
                            v1::AdvocacyProfile profile, absl::Time now);

// The contact to ask: consenting, still at the company, most advocacy actions.
std::string ContactToAsk(const v1::AdvocacyProfile& profile);

// The next moment after `after` at which time alone changes the account's
// eligibility or advocacy (a cooldown or an ask ages out, a success milestone or an
// advocacy action falls out of its window); InfiniteFuture if none.
absl::Time NextChange(const v1::ReferencePolicy& policy, const v1::AdvocacyProfile& profile,
                      const std::vector<v1::ReferenceRequest>& requests, absl::Time after);

}  // namespace retention::reference
