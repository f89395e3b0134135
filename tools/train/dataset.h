// One cut of a labelled history as rows to fit or test on: each labelled account's
// features as churn-risk computes them at the cut, its health as health-score answers
// then, and its outcome after the cut.
#pragma once

#include <string>
#include <vector>

#include "retention/v1/health.pb.h"
#include "services/churn-risk/model.h"
#include "tools/train/labels.h"
#include "tools/train/logistic.h"
#include "tools/train/replay.h"

namespace retention::train {

struct Row {
  std::string account;
  int churned = 0;
  churn::FeatureValues features;
  double health_score = 0;
  v1::HealthBand band = v1::HEALTH_BAND_UNSPECIFIED;
};

struct Dataset {
  absl::Time at;
  std::vector<Row> rows;        // by account id
  int64_t no_events = 0;        // labelled, but no event before the cut: left out
  int64_t decided_before = 0;   // outcome decided before the cut, so not a label of it: left out
  int64_t unlabelled = 0;       // events but no label: left out
};

Dataset BuildDataset(const LabelSet& labels, const Snapshot& snapshot);

// The rows' values of `columns`; a feature the account has no data for is nullopt.
Matrix FeatureMatrix(const std::vector<Row>& rows, const std::vector<v1::ChurnFeature>& columns);

}  // namespace retention::train
