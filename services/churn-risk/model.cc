#include "services/churn-risk/model.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "libs/config/textproto.h"

namespace retention::churn {
namespace {

using google::protobuf::TextFormat;

absl::Status Error(absl::string_view file, int line, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(file, ":", line, ": ", reason));
}

absl::Status Check(const v1::ChurnModel& m, const TextFormat::ParseInfoTree& tree, absl::string_view file) {
  const auto* d = m.GetDescriptor();
  if (m.version().empty()) return Error(file, 1, "version is required");
  if (m.features_size() == 0) return Error(file, 1, "at least one feature is required");
  std::set<int> seen;
  const auto* features = d->FindFieldByName("features");
  for (int i = 0; i < m.features_size(); ++i) {
    const v1::FeatureWeight& f = m.features(i);
    const int line = config::LineOf(&tree, features, i);
    if (f.feature() == v1::CHURN_FEATURE_UNSPECIFIED) return Error(file, line, "feature is required");
    const std::string name = v1::ChurnFeature_Name(f.feature());
    if (!seen.insert(f.feature()).second) return Error(file, line, absl::StrCat("feature ", name, " appears twice"));
    if (!(f.scale() > 0)) return Error(file, line, absl::StrCat("feature ", name, " scale must be > 0, got ", f.scale()));
  }
  const auto* tiers = d->FindFieldByName("tiers");
  if (m.tiers_size() == 0) return Error(file, 1, "tiers are required");
  if (m.tiers(0).probability() != 0) {
    return Error(file, config::LineOf(&tree, tiers, 0), "the first tier must start at probability 0");
  }
  for (int i = 1; i < m.tiers_size(); ++i) {
    if (!(m.tiers(i).probability() > m.tiers(i - 1).probability()) || m.tiers(i).probability() > 1 ||
        !(m.tiers(i).tier() > m.tiers(i - 1).tier())) {
      return Error(file, config::LineOf(&tree, tiers, i),
                   "tiers must rise in both tier and probability, within 0-1");
    }
  }
  if (m.publish_min_change() < 0 || m.publish_min_change() > 1) {
    return Error(file, config::LineOf(&tree, d->FindFieldByName("publish_min_change")),
                 "publish_min_change must be 0-1");
  }
  if (m.top_drivers() < 1) {
    return Error(file, config::LineOf(&tree, d->FindFieldByName("top_drivers")), "top_drivers must be at least 1");
  }
  if (m.strategic_weight() < 0) {
    return Error(file, config::LineOf(&tree, d->FindFieldByName("strategic_weight")), "strategic_weight must be >= 0");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::ChurnModel> ParseModel(const std::string& text, absl::string_view file_name) {
  v1::ChurnModel model;
  TextFormat::ParseInfoTree tree;
  if (auto s = config::ParseTextProto(text, file_name, &model, &tree); !s.ok()) return s;
  if (auto s = Check(model, tree, file_name); !s.ok()) return s;
  return model;
}

absl::StatusOr<v1::ChurnModel> LoadModel(const std::string& path) {
  auto text = config::ReadConfigFile(path);
  if (!text.ok()) return text.status();
  return ParseModel(*text, path);
}

Prediction Predict(const v1::ChurnModel& model, const FeatureValues& features) {
  Prediction p;
  p.log_odds = model.intercept();
  for (const v1::FeatureWeight& w : model.features()) {
    const auto it = features.find(w.feature());
    const double value = it == features.end() ? w.mean() : it->second;
    v1::RiskDriver& driver = p.contributions.emplace_back();
    driver.set_feature(w.feature());
    driver.set_value(value);
    driver.set_contribution(w.coefficient() * (value - w.mean()) / w.scale());
    p.log_odds += driver.contribution();
  }
  p.probability = 1.0 / (1.0 + std::exp(-p.log_odds));
  p.tier = TierFor(model, p.probability);
  std::stable_sort(p.contributions.begin(), p.contributions.end(),
                   [](const v1::RiskDriver& a, const v1::RiskDriver& b) { return a.contribution() > b.contribution(); });
  return p;
}

v1::RiskTier TierFor(const v1::ChurnModel& model, double probability) {
  v1::RiskTier tier = model.tiers(0).tier();
  for (const v1::TierFrom& t : model.tiers()) {
    if (probability >= t.probability()) tier = t.tier();
  }
  return tier;
}

std::vector<v1::RiskDriver> TopDrivers(const v1::ChurnModel& model, const Prediction& prediction) {
  std::vector<v1::RiskDriver> drivers;
  for (const v1::RiskDriver& d : prediction.contributions) {
    if (d.contribution() <= 0 || static_cast<int>(drivers.size()) >= model.top_drivers()) break;
    drivers.push_back(d);
  }
  return drivers;
}

double RetentionPriority(const v1::ChurnModel& model, double probability, int64_t arr, int strategic_importance) {
  const int importance = std::clamp(strategic_importance, 0, 10);
  return probability * static_cast<double>(arr) * (1.0 + model.strategic_weight() * importance / 10.0);
}

bool ShouldPublish(const v1::ChurnModel& model, const std::optional<Published>& last, double probability,
                   v1::RiskTier tier) {
  if (!last.has_value()) return true;
  if (tier != last->tier) return true;
  // "At least" the threshold, allowing for rounding: 0.35 - 0.30 is 0.0499999... in doubles.
  return std::abs(probability - last->probability) >= model.publish_min_change() - 1e-12;
}

}  // namespace retention::churn
