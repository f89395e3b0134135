// train: fits the churn model on a labelled history and backtests it. Replays the
// events through the services' own engines, takes each account's features as of a cut
// (from the events before it; its label is the outcome after it), fits the logistic
// coefficients on a training share of accounts at one cut and reports AUC, top-decile
// lift, Brier and calibration on the other accounts at the same or a later cut, for
// the fitted model, the model it started from, and the health score alone; then each
// health band's churn rate, and band thresholds fitted to outcomes. Run `train --help`.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "google/protobuf/text_format.h"
#include "libs/config/flags.h"
#include "services/churn-risk/model.h"
#include "services/health-score/scorecard.h"
#include "tools/train/bands.h"
#include "tools/train/dataset.h"
#include "tools/train/labels.h"
#include "tools/train/logistic.h"
#include "tools/train/replay.h"

ABSL_FLAG(std::string, events, "", "History: InteractionEvents as JSON lines (e.g. generate's events.jsonl)");
ABSL_FLAG(std::string, labels, "",
          "Ground truth CSV with account_id and churned columns, and renewal_date (when the outcome is decided) "
          "if known (generate's labels.csv)");
ABSL_FLAG(std::string, as_of, "",
          "Test cut (RFC 3339): features from the events before it, labels the outcomes after it; "
          "default: the latest event, every event folded");
ABSL_FLAG(std::string, fit_as_of, "",
          "Fit cut (RFC 3339, before --as_of): fit on the training accounts as of it, test on the held-out "
          "accounts as of --as_of (an out-of-time backtest); default: --as_of");
ABSL_FLAG(std::string, scorecards, "services/health-score/scorecards/default.textproto", "Health scorecards");
ABSL_FLAG(std::string, base_model, "services/churn-risk/models/churn-2026-11-c.textproto",
          "Model to start from: its features, tiers and thresholds are kept; coefficients are refitted");
ABSL_FLAG(std::string, out_model, "", "Where to write the fitted model (text format)");
ABSL_FLAG(std::string, version, "", "Version of the fitted model (required with --out_model)");
ABSL_FLAG(double, holdout, 0.3, "Share of accounts held out for the backtest (by a hash of the id)");
ABSL_FLAG(double, l2, 1.0, "L2 penalty on the scaled coefficients");
ABSL_FLAG(bool, fit_bands, false,
          "Also fit the health band thresholds on the training accounts so that bands mean outcomes");
// Beyond the 2x and half that bands must mean: room for another base's noise.
ABSL_FLAG(double, band_red_lift, 2.2, "With --fit_bands: RED churns at least this times the base rate");
ABSL_FLAG(double, band_green_ratio, 0.4, "With --fit_bands: GREEN churns at most this times the base rate");
ABSL_FLAG(double, band_min_share, 0.05, "With --fit_bands: RED and GREEN each hold at least this share of accounts");
ABSL_FLAG(double, band_z, 1.96,
          "With --fit_bands: the targets hold for the bounds of each band's churn rate at this many standard "
          "errors (Wilson interval; 1.96: 95%), so that they hold on other accounts too; 0: the observed rates");
ABSL_FLAG(std::string, out_scorecard, "",
          "With --fit_bands: write the scorecards with the fitted thresholds here (text format)");
ABSL_FLAG(std::string, scorecard_version, "", "Version of the written scorecards (required with --out_scorecard)");
ABSL_FLAG(std::string, report_json, "", "Also write the backtest as JSON here");
ABSL_FLAG(std::string, note, "", "A line for the written files' headers, e.g. the data they were fitted on");
ABSL_FLAG(std::string, features_out, "",
          "Also write each account's features, split, cut and label as CSV here (training rows as of the fit "
          "cut, held-out rows as of the test cut)");

namespace {

using retention::train::Dataset;
using retention::train::Matrix;
using retention::train::Row;
namespace v1 = retention::v1;
namespace train = retention::train;

constexpr char kUsage[] = R"(fit and backtest the churn model on a labelled history.

  train --events=DIR/events.jsonl --labels=DIR/labels.csv \
        --fit_as_of=2026-10-02T00:00:00Z --as_of=2026-11-01T00:00:00Z \
        --out_model=/tmp/churn-new.textproto --version=churn-2026-12-a

  An account's features are what churn-risk computes at the cut from the events before
  it; its label is its outcome after the cut (labels.csv's churned, at its renewal_date).)";

[[noreturn]] void Fail(const absl::Status& status) {
  std::fflush(stdout);  // what was printed so far, before the reason
  retention::config::ExitOnStartupError("train", status);
}
[[noreturn]] void Misconfigured(const absl::Status& status) { retention::config::ExitOnConfigError("train", status); }

// `train --help` lists train's own flags, not those of the libraries it links.
void ShowOwnFlagsInHelp() {
  absl::FlagsUsageConfig config;
  const auto own = [](absl::string_view file) { return absl::StrContains(file, "tools/train/"); };
  config.contains_help_flags = own;
  config.contains_helpshort_flags = own;
  absl::SetFlagsUsageConfig(config);
}

std::optional<absl::Time> ParseCut(const std::string& flag, const std::string& value) {
  if (value.empty()) return std::nullopt;
  absl::Time at;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, value, &at, &error)) {
    Misconfigured(absl::InvalidArgumentError(absl::StrCat("--", flag, "=", value, ": not RFC 3339: ", error)));
  }
  return at;
}

std::string Rfc3339(absl::Time t) { return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone()); }

bool InHoldout(const std::string& account, double share) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : account) h = (h ^ c) * 1099511628211ULL;
  return static_cast<double>(h % 10000) < share * 10000;
}

std::vector<int> Labels(const std::vector<Row>& rows) {
  std::vector<int> y;
  for (const Row& r : rows) y.push_back(r.churned);
  return y;
}

std::vector<double> HealthScores(const std::vector<Row>& rows) {
  std::vector<double> s;
  for (const Row& r : rows) s.push_back(r.health_score);
  return s;
}

struct Backtest {
  double auc = 0, lift = 0, brier = 0;
  std::vector<train::CalibrationBin> calibration;
};

Backtest Evaluate(const std::vector<double>& probability, const std::vector<int>& y) {
  return {train::Auc(probability, y), train::TopDecileLift(probability, y), train::Brier(probability, y),
          train::Calibration(probability, y)};
}

std::string ToJson(const Backtest& b) {
  std::vector<std::string> bins;
  for (const auto& bin : b.calibration) {
    bins.push_back(absl::StrFormat("{\"predicted\":%.4f,\"observed\":%.4f,\"count\":%d}", bin.predicted, bin.observed, bin.count));
  }
  return absl::StrFormat("{\"auc\":%.4f,\"top_decile_lift\":%.3f,\"brier\":%.4f,\"calibration\":[%s]}", b.auc, b.lift,
                         b.brier, absl::StrJoin(bins, ","));
}

std::string ToJson(const train::BandRates& r, const v1::ScorecardSet& thresholds) {
  std::vector<std::string> bands;
  for (const auto& [band, rate] : r.bands) {
    bands.push_back(absl::StrFormat("\"%s\":{\"accounts\":%d,\"churned\":%d,\"churn_rate\":%.4f}",
                                    v1::HealthBand_Name(band), rate.accounts, rate.churned, rate.rate()));
  }
  return absl::StrFormat("{\"yellow_from\":%g,\"green_from\":%g,\"accounts\":%d,\"base_rate\":%.4f,\"bands\":{%s}}",
                         thresholds.yellow_from(), thresholds.green_from(), r.all.accounts, r.all.rate(),
                         absl::StrJoin(bands, ","));
}

void PrintBands(const train::BandRates& r) {
  std::printf("  %-8s %9s %8s %11s %8s\n", "band", "accounts", "churned", "churn rate", "x base");
  for (v1::HealthBand band : {v1::RED, v1::YELLOW, v1::GREEN}) {
    const train::ChurnRate& b = r.bands.at(band);
    const std::string lift = b.accounts > 0 && r.all.rate() > 0 ? absl::StrFormat("%.2f", b.rate() / r.all.rate()) : "-";
    std::printf("  %-8s %9d %8d %10.1f%% %8s\n", v1::HealthBand_Name(band).c_str(), b.accounts, b.churned,
                100 * b.rate(), lift.c_str());
  }
  std::printf("  %-8s %9d %8d %10.1f%% %8s\n", "all", r.all.accounts, r.all.churned, 100 * r.all.rate(), "1.00");
}

void PrintExcluded(const char* which, const Dataset& d) {
  std::printf("%s cut %s: %zu labelled accounts with events", which, Rfc3339(d.at).c_str(), d.rows.size());
  if (d.no_events > 0) std::printf("; %lld labelled accounts without an event before it left out", static_cast<long long>(d.no_events));
  if (d.decided_before > 0) std::printf("; %lld with their outcome decided before it left out", static_cast<long long>(d.decided_before));
  if (d.unlabelled > 0) std::printf("; %lld accounts without a label left out", static_cast<long long>(d.unlabelled));
  std::printf("\n");
}

void WriteFeatureRows(std::ostream& out, const std::vector<Row>& rows, const char* split, absl::Time cut,
                      const std::vector<v1::ChurnFeature>& columns) {
  for (const Row& row : rows) {
    std::vector<std::string> cells = {row.account, split, Rfc3339(cut), absl::StrCat(row.churned),
                                      absl::StrFormat("%.6g", row.health_score), v1::HealthBand_Name(row.band)};
    for (v1::ChurnFeature f : columns) {
      auto it = row.features.find(f);
      cells.push_back(it == row.features.end() ? "" : absl::StrFormat("%.6g", it->second));
    }
    out << absl::StrJoin(cells, ",") << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  ShowOwnFlagsInHelp();
  retention::config::ParseFlags(argc, argv, kUsage);
  const std::string events_path = absl::GetFlag(FLAGS_events);
  const std::string labels_path = absl::GetFlag(FLAGS_labels);
  if (events_path.empty() || labels_path.empty()) Misconfigured(absl::InvalidArgumentError("--events and --labels are required"));
  const std::string out_model = absl::GetFlag(FLAGS_out_model);
  const std::string version = absl::GetFlag(FLAGS_version);
  if (!out_model.empty() && version.empty()) Misconfigured(absl::InvalidArgumentError("--version is required with --out_model"));
  const double holdout = absl::GetFlag(FLAGS_holdout);
  if (holdout <= 0 || holdout >= 1) Misconfigured(absl::InvalidArgumentError("--holdout must be in (0, 1)"));
  const std::optional<absl::Time> as_of = ParseCut("as_of", absl::GetFlag(FLAGS_as_of));
  const std::optional<absl::Time> fit_as_of = ParseCut("fit_as_of", absl::GetFlag(FLAGS_fit_as_of));
  if (fit_as_of && !as_of) Misconfigured(absl::InvalidArgumentError("--fit_as_of needs --as_of"));
  if (fit_as_of && *fit_as_of >= *as_of) Misconfigured(absl::InvalidArgumentError("--fit_as_of must be before --as_of"));
  const bool fit_bands = absl::GetFlag(FLAGS_fit_bands);
  const std::string out_scorecard = absl::GetFlag(FLAGS_out_scorecard);
  if (!out_scorecard.empty() && (!fit_bands || absl::GetFlag(FLAGS_scorecard_version).empty())) {
    Misconfigured(absl::InvalidArgumentError("--out_scorecard needs --fit_bands and --scorecard_version"));
  }
  auto scorecards = retention::health::LoadScorecardSet(absl::GetFlag(FLAGS_scorecards));
  if (!scorecards.ok()) Misconfigured(scorecards.status());
  auto base = retention::churn::LoadModel(absl::GetFlag(FLAGS_base_model));
  if (!base.ok()) Misconfigured(base.status());

  std::ifstream labels_in(labels_path, std::ios::binary);
  if (!labels_in) Fail(absl::NotFoundError(absl::StrCat("cannot read ", labels_path)));
  auto labels = train::ReadLabels(labels_in, labels_path);
  if (!labels.ok()) Fail(labels.status());

  // The services' states at each cut.
  std::ifstream events_in(events_path, std::ios::binary);
  if (!events_in) Fail(absl::NotFoundError(absl::StrCat("cannot read ", events_path)));
  train::ReplayOptions replay_options;
  if (fit_as_of) replay_options.cuts.push_back(*fit_as_of);
  if (as_of) replay_options.cuts.push_back(*as_of);
  const absl::Time start = absl::Now();
  auto replay = train::ReplayHistory(events_in, *scorecards, *base, replay_options);
  if (!replay.ok()) Fail(absl::Status(replay.status().code(), absl::StrCat(events_path, ": ", replay.status().message())));
  const double replay_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const Dataset fit_cut = train::BuildDataset(*labels, replay->cuts.front());
  const Dataset test_cut = train::BuildDataset(*labels, replay->cuts.back());
  const bool out_of_time = replay->cuts.size() > 1;

  // Training accounts as of the fit cut, held-out accounts as of the test cut.
  std::vector<Row> train_rows, test_rows;
  for (const Row& r : fit_cut.rows) {
    if (!InHoldout(r.account, holdout)) train_rows.push_back(r);
  }
  for (const Row& r : test_cut.rows) {
    if (InHoldout(r.account, holdout)) test_rows.push_back(r);
  }
  if (train_rows.size() < 50 || test_rows.size() < 50) {
    Fail(absl::FailedPreconditionError(absl::StrFormat(
        "too few labelled accounts with events: %d to train on, %d to test on", train_rows.size(), test_rows.size())));
  }
  const std::vector<int> train_y = Labels(train_rows), test_y = Labels(test_rows);
  for (const auto& [name, y] : {std::pair{"test", test_y}, std::pair{"training", train_y}}) {
    const size_t positives = static_cast<size_t>(std::count(y.begin(), y.end(), 1));
    if (positives == 0 || positives == y.size()) {
      Fail(absl::FailedPreconditionError(absl::StrCat("all ", y.size(), " ", name, " accounts have churned = ",
                                                      positives == 0 ? 0 : 1,
                                                      ": a backtest needs accounts of both outcomes")));
    }
  }

  // One column per feature of the base model, in its order.
  std::vector<v1::ChurnFeature> columns;
  int health_col = -1;
  for (const auto& f : base->features()) {
    if (f.feature() == v1::CHURN_FEATURE_HEALTH_SCORE) health_col = static_cast<int>(columns.size());
    columns.push_back(f.feature());
  }
  if (!absl::GetFlag(FLAGS_features_out).empty()) {
    std::ofstream out(absl::GetFlag(FLAGS_features_out), std::ios::trunc);
    std::vector<std::string> names;
    for (v1::ChurnFeature f : columns) names.push_back(v1::ChurnFeature_Name(f));
    out << "account_id,split,as_of,churned,health_score,health_band," << absl::StrJoin(names, ",") << "\n";
    WriteFeatureRows(out, train_rows, "train", fit_cut.at, columns);
    WriteFeatureRows(out, test_rows, "test", test_cut.at, columns);
    if (!out.flush()) Fail(absl::DataLossError(absl::StrCat("cannot write ", absl::GetFlag(FLAGS_features_out))));
  }
  const Matrix train_x = train::FeatureMatrix(train_rows, columns);
  const Matrix test_x = train::FeatureMatrix(test_rows, columns);
  const double l2 = absl::GetFlag(FLAGS_l2);
  auto fit = train::FitLogistic(train_x, train_y, l2);
  if (!fit.ok()) Fail(fit.status());
  v1::ChurnModel fitted = *base;
  fitted.set_version(out_model.empty() ? base->version() + "-fitted" : version);
  fitted.set_intercept(fit->intercept);
  for (int j = 0; j < fitted.features_size(); ++j) {
    auto* f = fitted.mutable_features(j);
    f->set_coefficient(fit->coefficients[j]);
    f->set_mean(fit->mean[j]);
    f->set_scale(fit->scale[j]);
  }

  // The health score alone, as a one-feature logistic model (so that its lift and
  // calibration are comparable).
  Matrix health_train, health_test;
  if (health_col >= 0) {
    for (const auto& row : train_x) health_train.push_back({row[health_col]});
    for (const auto& row : test_x) health_test.push_back({row[health_col]});
  }
  auto health_fit = train::FitLogistic(health_train, train_y, l2);
  if (health_col >= 0 && !health_fit.ok()) Fail(health_fit.status());

  std::vector<double> fitted_p, base_p, health_p;
  for (size_t i = 0; i < test_rows.size(); ++i) {
    // Scored by the service's own arithmetic, as the streaming model scores.
    fitted_p.push_back(retention::churn::Predict(fitted, test_rows[i].features).probability);
    base_p.push_back(retention::churn::Predict(*base, test_rows[i].features).probability);
    health_p.push_back(health_col >= 0 ? train::PredictLogistic(*health_fit, health_test[i]) : 0.5);
  }
  const Backtest fitted_bt = Evaluate(fitted_p, test_y), base_bt = Evaluate(base_p, test_y),
                 health_bt = Evaluate(health_p, test_y);
  // Out of time, the same held-out accounts as of the fit cut too: what time alone costs.
  std::vector<Row> in_time_rows;
  for (const Row& r : fit_cut.rows) {
    if (out_of_time && InHoldout(r.account, holdout)) in_time_rows.push_back(r);
  }
  std::vector<double> in_time_p;
  for (const Row& r : in_time_rows) in_time_p.push_back(retention::churn::Predict(fitted, r.features).probability);
  const Backtest in_time_bt = out_of_time ? Evaluate(in_time_p, Labels(in_time_rows)) : Backtest{};

  const auto rate = [](const std::vector<int>& y) { return 100.0 * std::count(y.begin(), y.end(), 1) / y.size(); };
  std::printf("replayed %lld events of %zu accounts in %.1f s; %lld health signals\n",
              static_cast<long long>(replay->events), replay->cuts.back().churn.size(), replay_seconds,
              static_cast<long long>(replay->health_signals));
  if (replay->unreadable_lines > 0) std::printf("  %lld unreadable lines skipped (ingest would refuse them)\n", static_cast<long long>(replay->unreadable_lines));
  if (replay->repeated > 0) std::printf("  %lld repeated event ids dropped (as ingest drops them)\n", static_cast<long long>(replay->repeated));
  if (replay->after_last_cut > 0) std::printf("  %lld events at or after the last cut not folded\n", static_cast<long long>(replay->after_last_cut));
  if (!labels->has_outcome_dates) std::printf("  %s has no renewal_date: every outcome is taken to be after every cut\n", labels_path.c_str());
  if (out_of_time) PrintExcluded("fit", fit_cut);
  PrintExcluded(out_of_time ? "test" : "the", test_cut);
  std::printf("fitted on %zu accounts as of %s (%.1f%% churned) in %d Newton steps\n", train_rows.size(),
              Rfc3339(fit_cut.at).c_str(), rate(train_y), fit->iterations);
  std::printf("backtest on %zu held-out accounts as of %s (%.1f%% churned)%s\n\n", test_rows.size(),
              Rfc3339(test_cut.at).c_str(), rate(test_y),
              out_of_time ? absl::StrFormat(": out of time, %.0f days after the fit cut",
                                            absl::ToDoubleHours(test_cut.at - fit_cut.at) / 24).c_str()
                          : "");
  std::printf("%-34s %7s %16s %8s\n", "model", "AUC", "top-decile lift", "Brier");
  const auto row = [](const std::string& name, const Backtest& b) {
    std::printf("%-34s %7.3f %16.2f %8.4f\n", name.c_str(), b.auc, b.lift, b.brier);
  };
  row(fitted.version() + " (fitted)", fitted_bt);
  if (out_of_time) row(absl::StrCat("  in time, as of ", Rfc3339(fit_cut.at).substr(0, 10)), in_time_bt);
  row(base->version() + " (before)", base_bt);
  row("health score alone", health_bt);
  std::printf("\ncalibration of %s (held-out accounts by predicted probability):\n  %-10s %-10s %s\n",
              fitted.version().c_str(), "predicted", "observed", "accounts");
  for (const auto& bin : fitted_bt.calibration) std::printf("  %-10.3f %-10.3f %d\n", bin.predicted, bin.observed, bin.count);
  std::printf("\ncoefficients (log-odds per standard deviation):\n");
  for (const auto& f : fitted.features()) {
    std::printf("  %-36s %+7.3f   (mean %.4g, sd %.4g)\n", v1::ChurnFeature_Name(f.feature()).c_str(), f.coefficient(),
                f.mean(), f.scale());
  }

  // Do bands mean outcomes? Every labelled account as of the test cut.
  const train::BandRates band_rates = train::BandChurnRates(*scorecards, HealthScores(test_cut.rows), Labels(test_cut.rows));
  std::printf("\nhealth bands of scorecards %s (RED below %g, GREEN from %g) as of %s, all %d labelled accounts:\n",
              scorecards->version().c_str(), scorecards->yellow_from(), scorecards->green_from(),
              Rfc3339(test_cut.at).c_str(), band_rates.all.accounts);
  PrintBands(band_rates);
  std::string fitted_bands_json = "null";
  if (fit_bands) {
    const train::BandTargets targets{absl::GetFlag(FLAGS_band_red_lift), absl::GetFlag(FLAGS_band_green_ratio),
                                     absl::GetFlag(FLAGS_band_min_share), absl::GetFlag(FLAGS_band_z)};
    auto thresholds = train::FitBands(HealthScores(train_rows), train_y, targets);
    if (!thresholds.ok()) Fail(thresholds.status());
    v1::ScorecardSet calibrated = *scorecards;
    calibrated.set_yellow_from(thresholds->yellow_from);
    calibrated.set_green_from(thresholds->green_from);
    const std::vector<double> held_out_scores = HealthScores(test_rows);
    const train::BandRates before = train::BandChurnRates(*scorecards, held_out_scores, test_y);
    const train::BandRates after = train::BandChurnRates(calibrated, held_out_scores, test_y);
    std::printf("\nband thresholds fitted on the %zu training accounts as of %s (RED >= %.2f x base, GREEN <= %.2f x "
                "base, at %.2f standard errors): RED below %g, GREEN from %g\n",
                train_rows.size(), Rfc3339(fit_cut.at).c_str(), targets.red_lift, targets.green_ratio, targets.z,
                thresholds->yellow_from, thresholds->green_from);
    std::printf("on the %zu held-out accounts as of %s, before:\n", test_rows.size(), Rfc3339(test_cut.at).c_str());
    PrintBands(before);
    std::printf("and with the fitted thresholds:\n");
    PrintBands(after);
    fitted_bands_json = absl::StrFormat("{\"held_out_before\":%s,\"held_out_after\":%s}", ToJson(before, *scorecards),
                                        ToJson(after, calibrated));
    if (!out_scorecard.empty()) {
      calibrated.set_version(absl::GetFlag(FLAGS_scorecard_version));
      std::string text;
      google::protobuf::TextFormat::PrintToString(calibrated, &text);
      std::ofstream out(out_scorecard, std::ios::trunc);
      out << "# retention.v1.ScorecardSet from " << scorecards->version() << " with band thresholds fitted by\n"
          << "# tools/train on " << train_rows.size() << " accounts as of " << Rfc3339(fit_cut.at)
          << absl::StrFormat(" (RED churns >= %.2f x the base rate, GREEN <= %.2f x,\n# at %.2f standard errors).\n",
                             targets.red_lift, targets.green_ratio, targets.z)
          << (absl::GetFlag(FLAGS_note).empty() ? "" : absl::StrCat("# ", absl::GetFlag(FLAGS_note), "\n")) << text;
      if (!out.flush()) Fail(absl::DataLossError(absl::StrCat("cannot write ", out_scorecard)));
      if (auto check = retention::health::LoadScorecardSet(out_scorecard); !check.ok()) Fail(check.status());
      std::printf("wrote %s\n", out_scorecard.c_str());
    }
  }

  if (!out_model.empty()) {
    std::string text;
    google::protobuf::TextFormat::PrintToString(fitted, &text);
    std::ofstream out(out_model, std::ios::trunc);
    out << "# retention.v1.ChurnModel fitted by tools/train from " << base->version() << ": coefficients, means and\n"
        << "# scales refitted on " << train_rows.size() << " accounts as of " << Rfc3339(fit_cut.at)
        << " (features from the events before it,\n"
        << "# labels the outcomes at renewal after it); tiers and thresholds kept. Backtest on " << test_rows.size()
        << " held-out\n"
        << "# accounts as of " << Rfc3339(test_cut.at) << (out_of_time ? " (out of time)" : "")
        << absl::StrFormat(": AUC %.3f, top-decile lift %.2f, Brier %.4f (health score alone: AUC %.3f).\n",
                           fitted_bt.auc, fitted_bt.lift, fitted_bt.brier, health_bt.auc)
        << (absl::GetFlag(FLAGS_note).empty() ? "" : absl::StrCat("# ", absl::GetFlag(FLAGS_note), "\n")) << text;
    if (!out.flush()) Fail(absl::DataLossError(absl::StrCat("cannot write ", out_model)));
    // The file must load as the service would load it.
    if (auto check = retention::churn::LoadModel(out_model); !check.ok()) Fail(check.status());
    std::printf("wrote %s\n", out_model.c_str());
  }
  if (!absl::GetFlag(FLAGS_report_json).empty()) {
    std::ofstream out(absl::GetFlag(FLAGS_report_json), std::ios::trunc);
    out << absl::StrFormat(
        "{\"fit_as_of\":\"%s\",\"as_of\":\"%s\",\"train_accounts\":%d,\"test_accounts\":%d,"
        "\"labelled_without_events\":%d,\"repeated_events\":%d,\"unreadable_lines\":%d,"
        "\"fitted\":%s,\"fitted_in_time\":%s,\"base\":%s,\"health_only\":%s,\"bands\":%s,\"fitted_bands\":%s}\n",
        Rfc3339(fit_cut.at), Rfc3339(test_cut.at), train_rows.size(), test_rows.size(), test_cut.no_events,
        replay->repeated, replay->unreadable_lines, ToJson(fitted_bt),
        out_of_time ? ToJson(in_time_bt) : "null", ToJson(base_bt), ToJson(health_bt),
        ToJson(band_rates, *scorecards), fitted_bands_json);
    if (!out.flush()) Fail(absl::DataLossError("cannot write --report_json"));
  }
  return 0;
}
