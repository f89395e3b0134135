#include "tools/train/labels.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"

namespace retention::train {
namespace {

constexpr absl::string_view kByteOrderMark = "\xEF\xBB\xBF";

absl::StatusOr<absl::Time> ParseDate(absl::string_view text) {
  absl::Time at;
  std::string error;
  if (absl::ParseTime("%Y-%m-%d", std::string(text), absl::UTCTimeZone(), &at, &error)) return at;
  if (absl::ParseTime(absl::RFC3339_full, std::string(text), &at, &error)) return at;
  return absl::InvalidArgumentError(absl::StrCat("renewal_date \"", text, "\" is neither YYYY-MM-DD nor RFC 3339"));
}

}  // namespace

absl::StatusOr<std::vector<std::string>> SplitCsvLine(absl::string_view line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c != '"') {
        cells.back() += c;
      } else if (i + 1 < line.size() && line[i + 1] == '"') {
        cells.back() += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.emplace_back();
    } else {
      cells.back() += c;
    }
  }
  if (quoted) return absl::InvalidArgumentError("a quoted cell is not closed");
  return cells;
}

absl::StatusOr<LabelSet> ReadLabels(std::istream& in, absl::string_view name) {
  LabelSet out;
  std::map<std::string, int> line_of;
  int account_col = -1, churned_col = -1, renewal_col = -1;
  bool header = true;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const auto where = [&](absl::string_view reason) {
      return absl::InvalidArgumentError(absl::StrCat(name, ":", number, ": ", reason));
    };
    absl::string_view text = line;
    if (number == 1) absl::ConsumePrefix(&text, kByteOrderMark);
    absl::ConsumeSuffix(&text, "\r");  // CRLF line ends
    if (absl::StripAsciiWhitespace(text).empty()) continue;
    auto split = SplitCsvLine(text);
    if (!split.ok()) return where(split.status().message());
    std::vector<std::string>& cells = *split;
    for (std::string& cell : cells) cell = std::string(absl::StripAsciiWhitespace(cell));
    if (header) {
      header = false;
      for (size_t i = 0; i < cells.size(); ++i) {
        if (cells[i] == "account_id") account_col = static_cast<int>(i);
        if (cells[i] == "churned") churned_col = static_cast<int>(i);
        if (cells[i] == "renewal_date") renewal_col = static_cast<int>(i);
      }
      if (account_col < 0 || churned_col < 0) return where("the header needs account_id and churned columns");
      out.has_outcome_dates = renewal_col >= 0;
      continue;
    }
    if (static_cast<int>(cells.size()) <= std::max({account_col, churned_col, renewal_col})) {
      return where(absl::StrCat("expected at least ", std::max({account_col, churned_col, renewal_col}) + 1,
                                " cells, got ", cells.size()));
    }
    const std::string& account = cells[account_col];
    if (account.empty()) return where("account_id is empty");
    Label label;
    const std::string churned = absl::AsciiStrToLower(cells[churned_col]);
    if (churned == "1" || churned == "true") {
      label.churned = true;
    } else if (churned != "0" && churned != "false") {
      return where(absl::StrCat("churned must be 0 or 1, got \"", cells[churned_col], "\""));
    }
    if (renewal_col >= 0) {
      auto at = ParseDate(cells[renewal_col]);
      if (!at.ok()) return where(at.status().message());
      label.outcome_at = *at;
    }
    if (auto [it, added] = line_of.emplace(account, number); !added) {
      return where(absl::StrCat("account ", account, " is labelled twice (first on line ", it->second, ")"));
    }
    out.by_account[account] = label;
  }
  if (header) return absl::InvalidArgumentError(absl::StrCat(name, ": empty, no header"));
  return out;
}

bool OutcomeAfter(const Label& label, absl::Time cut) { return !label.outcome_at || *label.outcome_at >= cut; }

}  // namespace retention::train
