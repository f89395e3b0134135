// Small helpers shared by the benchmarks.
#pragma once

#include <algorithm>
#include <vector>

namespace retention::bench {

// The p-quantile (0-1) of `values`, 0 when empty.
inline double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * static_cast<double>(values.size())))];
}

}  // namespace retention::bench
