// A deterministic synthetic B2B customer base: accounts in segments with skewed ARR,
// contacts and champions, contracts, and months of interaction events drawn from a
// hidden per-account trajectory whose outcome (churn at the next renewal, advocacy) is
// written as ground truth. The same seed gives the same base, byte for byte.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "retention/v1/interaction_event.pb.h"

namespace retention::generate {

// The hidden story of an account over the simulated months.
enum class Trajectory {
  kHealthy,
  kDecaying,        // usage slowly falls
  kChampionLoss,    // the internal champion leaves, then usage slips
  kSupportTrouble,  // tickets, escalations, slow resolution
  kDetractor,       // a detractor NPS and low satisfaction
  kStuck,           // high switching cost with low sentiment: stays until renewal
  kAdvocate,        // promoter who vouches in public
  kGoesDark,        // all activity stops weeks before the renewal; most do not renew
};

inline constexpr int kTrajectoryCount = 8;

const char* TrajectoryName(Trajectory t);

// The share of accounts on each trajectory, and the churn probability at renewal as
// a function of the account's hidden severity s in [0, 1].
struct TrajectorySpec {
  Trajectory trajectory;
  double share;
  double churn_base;      // churn probability at s = 0
  double churn_severity;  // added at s = 1
  const char* cause;      // the loss reason recorded when such an account churns
};
const std::vector<TrajectorySpec>& TrajectorySpecs();

struct Settings {
  uint64_t seed = 1;
  int64_t accounts = 1000;
  int days = 120;  // simulated history, ending at `end`
  absl::Time end = absl::FromUnixSeconds(1793491200);  // 2026-11-01T00:00:00Z
  std::string prefix = "acct";  // account ids are <prefix>-<index, 7 digits>
};

// Ground truth of one account, hidden from the services.
struct Label {
  std::string account_id;
  Trajectory trajectory = Trajectory::kHealthy;
  double severity = 0;
  bool churned = false;  // at the first renewal after `end`
  std::string cause;     // why, when churned
  bool advocate = false;
  int64_t arr = 0;
  absl::Time renewal;
  std::string plan, size, industry, region;
};

struct Account {
  Label label;
  std::vector<v1::InteractionEvent> events;  // in time order
};

// Account `index` (0-based) of the base; independent of every other account.
Account GenerateAccount(const Settings& settings, int64_t index);

// One line of the events output with the time it is sent in order of.
struct OutputRecord {
  absl::Time at;
  std::string account_id;
  std::string line;  // JSON (protobuf's JSON mapping), or a malformed line
  bool malformed = false;
  bool repeat = false;
};

struct NoiseSettings {
  double malformed = 0;  // share of extra records that ingest must dead-letter
  double repeat = 0;     // share of events sent twice (same event id)
};

// Generates the base in chunks of accounts; each chunk's records are in time order
// (accounts keep their own order). `emit` receives every chunk and its labels and may
// stop the run by returning false.
void Generate(const Settings& settings, const NoiseSettings& noise, int64_t chunk_accounts,
              const std::function<bool(const std::vector<OutputRecord>&, const std::vector<Label>&)>& emit);

// The header and one row of the labels CSV.
std::string LabelsHeader();
std::string LabelRow(const Label& label);

}  // namespace retention::generate
