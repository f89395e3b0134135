// Ground truth for training: each account's outcome and when it is decided, read from
// a CSV file such as the generator's labels.csv.
#pragma once

#include <istream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace retention::train {

struct Label {
  bool churned = false;
  // When the outcome is decided (the renewal); unset when the file does not say.
  std::optional<absl::Time> outcome_at;
};

struct LabelSet {
  std::map<std::string, Label> by_account;
  bool has_outcome_dates = false;  // the file has a renewal_date column
};

// Splits one CSV line into cells (RFC 4180: a cell in double quotes may hold commas and
// doubled quotes). INVALID_ARGUMENT for an unterminated quote.
absl::StatusOr<std::vector<std::string>> SplitCsvLine(absl::string_view line);

// Reads a CSV whose header names account_id and churned (0/1, or false/true), and
// optionally renewal_date (YYYY-MM-DD, the outcome decided at its start in UTC, or
// RFC 3339). Takes CRLF line ends, a UTF-8 byte order mark, quoted cells and headers,
// and blank lines; other columns are ignored. Errors read "<name>:<line>: <reason>",
// including an account labelled twice.
absl::StatusOr<LabelSet> ReadLabels(std::istream& in, absl::string_view name);

// Whether `label` is an outcome after `cut`, that is a label of the cut: its outcome is
// not decided before the cut (an outcome without a date is taken to be after every cut).
bool OutcomeAfter(const Label& label, absl::Time cut);

}  // namespace retention::train
