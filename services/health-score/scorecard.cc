#include "services/health-score/scorecard.h"

#include <google/protobuf/text_format.h>

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "libs/config/textproto.h"

namespace retention::health {
namespace {

using google::protobuf::TextFormat;

// Checks what the syntax cannot say, naming the line of the offending field.
class Checker {
 public:
  Checker(absl::string_view file) : file_(file) {}

  absl::Status Check(const v1::ScorecardSet& set, const TextFormat::ParseInfoTree& tree) {
    const auto* d = set.GetDescriptor();
    if (set.version().empty()) return Error(1, "version is required");
    if (!(set.yellow_from() >= 0 && set.yellow_from() < set.green_from() && set.green_from() <= 100)) {
      return Error(Line(tree, d->FindFieldByName("green_from")),
                   absl::StrCat("bands must satisfy 0 <= yellow_from < green_from <= 100, got yellow_from ",
                                set.yellow_from(), ", green_from ", set.green_from()));
    }
    if (set.publish_min_change() < 0) {
      return Error(Line(tree, d->FindFieldByName("publish_min_change")), "publish_min_change must be >= 0");
    }
    if (set.stable_within() < 0) {
      return Error(Line(tree, d->FindFieldByName("stable_within")), "stable_within must be >= 0");
    }
    const auto* windows = d->FindFieldByName("trend_windows_days");
    for (int i = 0; i < set.trend_windows_days_size(); ++i) {
      if (set.trend_windows_days(i) <= 0) {
        return Error(Line(tree, windows, i), absl::StrCat("trend window must be > 0 days, got ", set.trend_windows_days(i)));
      }
    }
    const auto* rules = d->FindFieldByName("silence_rules");
    for (int i = 0; i < set.silence_rules_size(); ++i) {
      const v1::SilenceRule& r = set.silence_rules(i);
      const int at = Line(tree, rules, i);
      if (r.after_days() <= 0) return Error(at, absl::StrCat("silence rule after_days must be > 0, got ", r.after_days()));
      if (r.at_most() != v1::YELLOW && r.at_most() != v1::RED) {
        return Error(at, absl::StrCat("silence rule at_most must be YELLOW or RED, got ",
                                      v1::HealthBand_Name(r.at_most())));
      }
      if (i > 0 && r.after_days() <= set.silence_rules(i - 1).after_days()) {
        return Error(at, "silence rules must be in increasing order of after_days");
      }
    }
    const auto* scorecards = d->FindFieldByName("scorecards");
    if (set.scorecards_size() == 0) return Error(1, "at least one scorecard is required");
    for (int i = 0; i < set.scorecards_size(); ++i) {
      const TextFormat::ParseInfoTree* nested = tree.GetTreeForNested(scorecards, i);
      const int line = Line(tree, scorecards, i);
      if (auto s = CheckScorecard(set.scorecards(i), nested, line); !s.ok()) return s;
    }
    const v1::Scorecard& last = set.scorecards(set.scorecards_size() - 1);
    if (last.plans_size() > 0 || last.sizes_size() > 0) {
      return Error(Line(tree, scorecards, set.scorecards_size() - 1),
                   absl::StrCat("the last scorecard (\"", last.segment(),
                                "\") must match every account: give it no plans and no sizes"));
    }
    return absl::OkStatus();
  }

 private:
  absl::Status CheckScorecard(const v1::Scorecard& card, const TextFormat::ParseInfoTree* tree, int line) {
    if (card.segment().empty()) return Error(line, "scorecard segment is required");
    if (card.components_size() == 0) {
      return Error(line, absl::StrCat("scorecard \"", card.segment(), "\" has no components"));
    }
    const auto* components = card.GetDescriptor()->FindFieldByName("components");
    std::set<int> seen;
    for (int i = 0; i < card.components_size(); ++i) {
      const v1::ComponentRule& c = card.components(i);
      const int at = Line(tree, components, i, line);
      if (c.component() == v1::HEALTH_COMPONENT_UNSPECIFIED) return Error(at, "component is required");
      const std::string name = v1::HealthComponent_Name(c.component());
      if (!seen.insert(c.component()).second) {
        return Error(at, absl::StrCat("component ", name, " appears twice in scorecard \"", card.segment(), "\""));
      }
      if (!(c.weight() > 0)) return Error(at, absl::StrCat("component ", name, " weight must be > 0, got ", c.weight()));
      if (c.measures_size() == 0) return Error(at, absl::StrCat("component ", name, " has no measures"));
      const TextFormat::ParseInfoTree* ctree = tree == nullptr ? nullptr : tree->GetTreeForNested(components, i);
      const auto* measures = c.GetDescriptor()->FindFieldByName("measures");
      for (int j = 0; j < c.measures_size(); ++j) {
        const int mat = Line(ctree, measures, j, at);
        if (auto s = CheckMeasure(c.measures(j), ctree == nullptr ? nullptr : ctree->GetTreeForNested(measures, j), mat);
            !s.ok()) {
          return s;
        }
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckMeasure(const v1::MeasureRule& m, const TextFormat::ParseInfoTree* tree, int line) {
    if (m.measure() == v1::HEALTH_MEASURE_UNSPECIFIED) return Error(line, "measure is required");
    const std::string name = v1::HealthMeasure_Name(m.measure());
    if (!(m.weight() > 0)) return Error(line, absl::StrCat("measure ", name, " weight must be > 0, got ", m.weight()));
    if (m.steps_size() == 0) return Error(line, absl::StrCat("measure ", name, " has no steps"));
    const auto* steps = m.GetDescriptor()->FindFieldByName("steps");
    for (int k = 0; k < m.steps_size(); ++k) {
      const int sat = Line(tree, steps, k, line);
      const v1::ScoreStep& step = m.steps(k);
      if (step.score() < 0 || step.score() > 100) {
        return Error(sat, absl::StrCat("measure ", name, " step score must be 0-100, got ", step.score()));
      }
      if (k > 0 && !(step.from() > m.steps(k - 1).from())) {
        return Error(sat, absl::StrCat("measure ", name, " steps must have increasing `from`: ", step.from(),
                                       " does not follow ", m.steps(k - 1).from()));
      }
    }
    return absl::OkStatus();
  }

  static int Line(const TextFormat::ParseInfoTree* tree, const google::protobuf::FieldDescriptor* field,
                  int index = -1, int fallback = 1) {
    return config::LineOf(tree, field, index, fallback);
  }
  static int Line(const TextFormat::ParseInfoTree& tree, const google::protobuf::FieldDescriptor* field, int index = -1) {
    return config::LineOf(&tree, field, index, 1);
  }

  absl::Status Error(int line, absl::string_view reason) const {
    return absl::InvalidArgumentError(absl::StrCat(file_, ":", line, ": ", reason));
  }

  std::string file_;
};

}  // namespace

absl::StatusOr<v1::ScorecardSet> ParseScorecardSet(const std::string& text, absl::string_view file_name) {
  v1::ScorecardSet set;
  TextFormat::ParseInfoTree tree;
  if (auto s = config::ParseTextProto(text, file_name, &set, &tree); !s.ok()) return s;
  if (auto s = Checker(file_name).Check(set, tree); !s.ok()) return s;
  return set;
}

absl::StatusOr<v1::ScorecardSet> LoadScorecardSet(const std::string& path) {
  auto text = config::ReadConfigFile(path);
  if (!text.ok()) return text.status();
  return ParseScorecardSet(*text, path);
}

const v1::Scorecard& SelectScorecard(const v1::ScorecardSet& set, absl::string_view plan, absl::string_view size) {
  const auto matches = [](const auto& list, absl::string_view value) {
    return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
  };
  for (const v1::Scorecard& card : set.scorecards()) {
    if (matches(card.plans(), plan) && matches(card.sizes(), size)) return card;
  }
  return set.scorecards(set.scorecards_size() - 1);
}

}  // namespace retention::health
