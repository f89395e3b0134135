#include "services/reference-pipeline/policy.h"

#include "absl/strings/str_cat.h"
#include "libs/config/textproto.h"

namespace retention::reference {
namespace {

absl::Status Error(absl::string_view file, int line, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(file, ":", line, ": ", reason));
}

absl::Status Check(const v1::ReferencePolicy& p, const google::protobuf::TextFormat::ParseInfoTree& tree,
                   absl::string_view file) {
  const auto* d = p.GetDescriptor();
  const auto line = [&](const char* field) { return config::LineOf(&tree, d->FindFieldByName(field)); };
  if (p.version().empty()) return Error(file, 1, "version is required");
  if (p.min_band() == v1::HEALTH_BAND_UNSPECIFIED) return Error(file, line("min_band"), "min_band is required");
  if (p.stages().empty()) return Error(file, 1, "at least one of stages is required");
  if (p.max_churn_tier() == v1::RISK_TIER_UNSPECIFIED) {
    return Error(file, line("max_churn_tier"), "max_churn_tier is required");
  }
  if (p.success_within_days() <= 0) return Error(file, line("success_within_days"), "success_within_days must be > 0");
  if (p.cooldown_days() < 0) return Error(file, line("cooldown_days"), "cooldown_days must be >= 0");
  if (p.max_asks_per_year() <= 0) return Error(file, line("max_asks_per_year"), "max_asks_per_year must be > 0");
  if (p.advocate_within_days() <= 0) {
    return Error(file, line("advocate_within_days"), "advocate_within_days must be > 0");
  }
  const v1::RankingWeights& w = p.weights();
  for (double weight : {w.industry(), w.products(), w.region(), w.size(), w.use_case(), w.history(), w.acceptance(),
                        w.freshness()}) {
    if (weight < 0) return Error(file, line("weights"), "ranking weights must be >= 0");
  }
  if (p.ask_at_signing_min_band() == v1::HEALTH_BAND_UNSPECIFIED) {
    return Error(file, line("ask_at_signing_min_band"), "ask_at_signing_min_band is required");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::ReferencePolicy> ParsePolicy(const std::string& text, absl::string_view file_name) {
  v1::ReferencePolicy policy;
  google::protobuf::TextFormat::ParseInfoTree tree;
  if (auto s = config::ParseTextProto(text, file_name, &policy, &tree); !s.ok()) return s;
  if (auto s = Check(policy, tree, file_name); !s.ok()) return s;
  return policy;
}

absl::StatusOr<v1::ReferencePolicy> LoadPolicy(const std::string& path) {
  auto text = config::ReadConfigFile(path);
  if (!text.ok()) return text.status();
  return ParsePolicy(*text, path);
}

}  // namespace retention::reference
