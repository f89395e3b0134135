// train: fits the churn model on a labelled history and backtests it. Replays the
// events through the services' own engines, takes each account's features at the end
// of the history, fits the logistic coefficients on a training share of accounts, and
// reports AUC, top-decile lift and calibration on the rest, for the fitted model, the
// model it started from, and the health score alone. Run `train --help`.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "google/protobuf/text_format.h"
#include "libs/config/flags.h"
#include "libs/activity/activity.h"
#include "services/churn-risk/features.h"
#include "services/churn-risk/model.h"
#include "services/health-score/scorecard.h"
#include "tools/train/logistic.h"
#include "tools/train/replay.h"

ABSL_FLAG(std::string, events, "", "History: InteractionEvents as JSON lines (e.g. generate's events.jsonl)");
ABSL_FLAG(std::string, labels, "", "Ground truth CSV with account_id and churned columns (generate's labels.csv)");
ABSL_FLAG(std::string, scorecards, "services/health-score/scorecards/default.textproto", "Health scorecards");
ABSL_FLAG(std::string, base_model, "services/churn-risk/models/churn-2026-11-a.textproto",
          "Model to start from: its features, tiers and thresholds are kept; coefficients are refitted");
ABSL_FLAG(std::string, out_model, "", "Where to write the fitted model (text format)");
ABSL_FLAG(std::string, version, "", "Version of the fitted model (required with --out_model)");
ABSL_FLAG(double, holdout, 0.3, "Share of accounts held out for the backtest (by a hash of the id)");
ABSL_FLAG(double, l2, 1.0, "L2 penalty on the scaled coefficients");
ABSL_FLAG(std::string, report_json, "", "Also write the backtest as JSON here");
ABSL_FLAG(std::string, note, "", "A line for the model file's header, e.g. the data it was fitted on");
ABSL_FLAG(std::string, features_out, "", "Also write each account's features, split and label as CSV here");

namespace {

using retention::train::Matrix;
namespace v1 = retention::v1;

constexpr char kUsage[] = R"(train: fit and backtest the churn model on a labelled history.

  train --events=DIR/events.jsonl --labels=DIR/labels.csv \
        --out_model=services/churn-risk/models/churn-2026-11-b.textproto --version=churn-2026-11-b)";

[[noreturn]] void Fail(const absl::Status& status) { retention::config::ExitOnStartupError("train", status); }

bool InHoldout(const std::string& account, double share) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : account) h = (h ^ c) * 1099511628211ULL;
  return static_cast<double>(h % 10000) < share * 10000;
}

struct Scores {
  std::vector<double> probability;
  std::vector<int> y;
};

struct Backtest {
  double auc = 0, lift = 0, brier = 0;
  std::vector<retention::train::CalibrationBin> calibration;
};

Backtest Evaluate(const Scores& s) {
  return {retention::train::Auc(s.probability, s.y), retention::train::TopDecileLift(s.probability, s.y),
          retention::train::Brier(s.probability, s.y), retention::train::Calibration(s.probability, s.y)};
}

std::string ToJson(const Backtest& b) {
  std::vector<std::string> bins;
  for (const auto& bin : b.calibration) {
    bins.push_back(absl::StrFormat("{\"predicted\":%.4f,\"observed\":%.4f,\"count\":%d}", bin.predicted, bin.observed, bin.count));
  }
  return absl::StrFormat("{\"auc\":%.4f,\"top_decile_lift\":%.3f,\"brier\":%.4f,\"calibration\":[%s]}", b.auc, b.lift,
                         b.brier, absl::StrJoin(bins, ","));
}

}  // namespace

int main(int argc, char** argv) {
  retention::config::ParseFlags(argc, argv, kUsage);
  const std::string events_path = absl::GetFlag(FLAGS_events);
  const std::string labels_path = absl::GetFlag(FLAGS_labels);
  if (events_path.empty() || labels_path.empty()) {
    retention::config::ExitOnConfigError("train", absl::InvalidArgumentError("--events and --labels are required"));
  }
  const std::string out_model = absl::GetFlag(FLAGS_out_model);
  const std::string version = absl::GetFlag(FLAGS_version);
  if (!out_model.empty() && version.empty()) {
    retention::config::ExitOnConfigError("train", absl::InvalidArgumentError("--version is required with --out_model"));
  }
  const double holdout = absl::GetFlag(FLAGS_holdout);
  if (holdout <= 0 || holdout >= 1) retention::config::ExitOnConfigError("train", absl::InvalidArgumentError("--holdout must be in (0, 1)"));
  auto scorecards = retention::health::LoadScorecardSet(absl::GetFlag(FLAGS_scorecards));
  if (!scorecards.ok()) retention::config::ExitOnConfigError("train", scorecards.status());
  auto base = retention::churn::LoadModel(absl::GetFlag(FLAGS_base_model));
  if (!base.ok()) retention::config::ExitOnConfigError("train", base.status());

  // Ground truth.
  std::ifstream labels_in(labels_path);
  if (!labels_in) Fail(absl::NotFoundError(absl::StrCat("cannot read ", labels_path)));
  std::map<std::string, int> churned;
  std::string line;
  int account_col = -1, churned_col = -1;
  for (int number = 1; std::getline(labels_in, line); ++number) {
    const std::vector<std::string> cells = absl::StrSplit(line, ',');
    if (number == 1) {
      for (size_t i = 0; i < cells.size(); ++i) {
        if (cells[i] == "account_id") account_col = static_cast<int>(i);
        if (cells[i] == "churned") churned_col = static_cast<int>(i);
      }
      if (account_col < 0 || churned_col < 0) Fail(absl::InvalidArgumentError(absl::StrCat(labels_path, ":1: needs account_id and churned columns")));
      continue;
    }
    if (line.empty()) continue;
    if (static_cast<int>(cells.size()) <= std::max(account_col, churned_col) ||
        (cells[churned_col] != "0" && cells[churned_col] != "1")) {
      Fail(absl::InvalidArgumentError(absl::StrCat(labels_path, ":", number, ": churned must be 0 or 1")));
    }
    churned[cells[account_col]] = cells[churned_col] == "1";
  }

  // The services' states at the end of the history.
  std::ifstream events_in(events_path);
  if (!events_in) Fail(absl::NotFoundError(absl::StrCat("cannot read ", events_path)));
  const absl::Time start = absl::Now();
  auto replay = retention::train::ReplayHistory(events_in, *scorecards, *base);
  if (!replay.ok()) Fail(replay.status());
  const double replay_seconds = absl::ToDoubleSeconds(absl::Now() - start);

  // One row per labelled account: the base model's features, in its order.
  std::vector<v1::ChurnFeature> columns;
  int health_col = -1;
  for (const auto& f : base->features()) {
    if (f.feature() == v1::CHURN_FEATURE_HEALTH_SCORE) health_col = static_cast<int>(columns.size());
    columns.push_back(f.feature());
  }
  Matrix train_x, test_x;
  std::vector<int> train_y, test_y;
  std::vector<retention::churn::FeatureValues> test_features;
  std::ofstream features_out;
  if (!absl::GetFlag(FLAGS_features_out).empty()) {
    features_out.open(absl::GetFlag(FLAGS_features_out));
    if (!features_out) Fail(absl::NotFoundError(absl::StrCat("cannot write ", absl::GetFlag(FLAGS_features_out))));
    std::vector<std::string> names;
    for (v1::ChurnFeature f : columns) names.push_back(v1::ChurnFeature_Name(f));
    features_out << "account_id,split,churned," << absl::StrJoin(names, ",") << "\n";
  }
  int64_t unlabelled = 0;
  for (const auto& [account, state] : replay->states) {
    auto label = churned.find(account);
    if (label == churned.end()) {
      ++unlabelled;
      continue;
    }
    const retention::churn::FeatureValues values =
        retention::churn::ComputeFeatures(state, retention::activity::DayOf(replay->as_of));
    std::vector<std::optional<double>> row;
    std::vector<std::string> cells;
    for (v1::ChurnFeature f : columns) {
      auto it = values.find(f);
      row.push_back(it == values.end() ? std::nullopt : std::optional<double>(it->second));
      cells.push_back(it == values.end() ? "" : absl::StrFormat("%.6g", it->second));
    }
    const bool test = InHoldout(account, holdout);
    if (features_out.is_open()) {
      features_out << account << "," << (test ? "test" : "train") << "," << label->second << "," << absl::StrJoin(cells, ",") << "\n";
    }
    (test ? test_x : train_x).push_back(std::move(row));
    (test ? test_y : train_y).push_back(label->second);
    if (test) test_features.push_back(values);
  }
  if (train_x.size() < 50 || test_x.size() < 50) {
    Fail(absl::FailedPreconditionError(absl::StrFormat("too few labelled accounts with events: %d to train, %d to test",
                                                       train_x.size(), test_x.size())));
  }

  const retention::train::LogisticFit fit = retention::train::FitLogistic(train_x, train_y, absl::GetFlag(FLAGS_l2));
  v1::ChurnModel fitted = *base;
  fitted.set_version(out_model.empty() ? base->version() + "-fitted" : version);
  fitted.set_intercept(fit.intercept);
  for (int j = 0; j < fitted.features_size(); ++j) {
    auto* f = fitted.mutable_features(j);
    f->set_coefficient(fit.coefficients[j]);
    f->set_mean(fit.mean[j]);
    f->set_scale(fit.scale[j]);
  }

  // The health score alone, as a one-feature logistic model (so that its lift and
  // calibration are comparable).
  Matrix health_train, health_test;
  for (const auto& row : train_x) health_train.push_back({row[health_col]});
  for (const auto& row : test_x) health_test.push_back({row[health_col]});
  const retention::train::LogisticFit health_fit = retention::train::FitLogistic(health_train, train_y, absl::GetFlag(FLAGS_l2));

  Scores fitted_scores{{}, test_y}, base_scores{{}, test_y}, health_scores{{}, test_y};
  for (size_t i = 0; i < test_x.size(); ++i) {
    // Scored by the service's own arithmetic, as the streaming model scores.
    fitted_scores.probability.push_back(retention::churn::Predict(fitted, test_features[i]).probability);
    base_scores.probability.push_back(retention::churn::Predict(*base, test_features[i]).probability);
    health_scores.probability.push_back(retention::train::PredictLogistic(health_fit, health_test[i]));
  }
  const Backtest fitted_bt = Evaluate(fitted_scores), base_bt = Evaluate(base_scores), health_bt = Evaluate(health_scores);

  int positives = 0;
  for (int y : test_y) positives += y;
  std::printf("replayed %lld events (%lld unreadable lines skipped) of %zu accounts in %.1f s; %lld health signals\n",
              static_cast<long long>(replay->events), static_cast<long long>(replay->unreadable_lines),
              replay->states.size(), replay_seconds, static_cast<long long>(replay->health_signals));
  std::printf("fitted on %zu accounts in %d Newton steps; backtest on %zu held-out accounts (%d churned, %.1f%%)\n\n",
              train_x.size(), fit.iterations, test_x.size(), positives, 100.0 * positives / test_y.size());
  std::printf("%-34s %7s %16s %8s\n", "model", "AUC", "top-decile lift", "Brier");
  const auto row = [](const std::string& name, const Backtest& b) {
    std::printf("%-34s %7.3f %16.2f %8.4f\n", name.c_str(), b.auc, b.lift, b.brier);
  };
  row(fitted.version() + " (fitted)", fitted_bt);
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
  if (unlabelled > 0) std::printf("%lld accounts without a label were left out\n", static_cast<long long>(unlabelled));

  if (!out_model.empty()) {
    std::string text;
    google::protobuf::TextFormat::PrintToString(fitted, &text);
    std::ofstream out(out_model, std::ios::trunc);
    out << "# retention.v1.ChurnModel fitted by tools/train from " << base->version() << ": coefficients, means and\n"
        << "# scales refitted on " << train_x.size() << " accounts; tiers and thresholds kept. Backtest on "
        << test_x.size() << " held-out\n"
        << absl::StrFormat("# accounts: AUC %.3f, top-decile lift %.2f, Brier %.4f (health score alone: AUC %.3f).\n",
                           fitted_bt.auc, fitted_bt.lift, fitted_bt.brier, health_bt.auc)
        << (absl::GetFlag(FLAGS_note).empty() ? "" : absl::StrCat("# ", absl::GetFlag(FLAGS_note), "\n")) << text;
    if (!out.flush()) Fail(absl::DataLossError(absl::StrCat("cannot write ", out_model)));
    // The file must load as the service would load it.
    if (auto check = retention::churn::LoadModel(out_model); !check.ok()) Fail(check.status());
    std::printf("wrote %s\n", out_model.c_str());
  }
  if (!absl::GetFlag(FLAGS_report_json).empty()) {
    std::ofstream out(absl::GetFlag(FLAGS_report_json), std::ios::trunc);
    out << absl::StrFormat("{\"train_accounts\":%d,\"test_accounts\":%d,\"fitted\":%s,\"base\":%s,\"health_only\":%s}\n",
                           train_x.size(), test_x.size(), ToJson(fitted_bt), ToJson(base_bt), ToJson(health_bt));
    if (!out.flush()) Fail(absl::DataLossError("cannot write --report_json"));
  }
  return 0;
}
