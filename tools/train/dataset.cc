#include "tools/train/dataset.h"

#include "libs/activity/activity.h"
#include "services/churn-risk/features.h"

namespace retention::train {

Dataset BuildDataset(const LabelSet& labels, const Snapshot& snapshot) {
  Dataset out;
  out.at = snapshot.at;
  for (const auto& [account, label] : labels.by_account) {
    if (!OutcomeAfter(label, snapshot.at)) {
      ++out.decided_before;
      continue;
    }
    const auto state = snapshot.churn.find(account);
    if (state == snapshot.churn.end()) {
      ++out.no_events;
      continue;
    }
    Row row;
    row.account = account;
    row.churned = label.churned ? 1 : 0;
    row.features = churn::ComputeFeatures(state->second, activity::DayOf(snapshot.at));
    if (const auto health = snapshot.health.find(account); health != snapshot.health.end()) {
      row.health_score = health->second.score();
      row.band = health->second.band();
    }
    out.rows.push_back(std::move(row));
  }
  for (const auto& [account, state] : snapshot.churn) out.unlabelled += labels.by_account.count(account) == 0;
  return out;
}

Matrix FeatureMatrix(const std::vector<Row>& rows, const std::vector<v1::ChurnFeature>& columns) {
  Matrix x;
  x.reserve(rows.size());
  for (const Row& row : rows) {
    std::vector<std::optional<double>>& out = x.emplace_back();
    for (v1::ChurnFeature f : columns) {
      const auto it = row.features.find(f);
      out.push_back(it == row.features.end() ? std::nullopt : std::optional<double>(it->second));
    }
  }
  return x;
}

}  // namespace retention::train
