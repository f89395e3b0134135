#include "libs/log/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace retention::logging {
namespace {

std::atomic<int> min_level{static_cast<int>(Level::kInfo)};

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

absl::string_view BaseName(const char* file) {
  absl::string_view path(file);
  const size_t slash = path.rfind('/');
  return slash == absl::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

void SetMinLevel(Level level) { min_level = static_cast<int>(level); }

bool ParseLevel(absl::string_view text, Level* level) {
  for (Level candidate : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (text == LevelName(candidate)) {
      *level = candidate;
      return true;
    }
  }
  return false;
}

void AppendJsonString(std::string* out, absl::string_view text) {
  out->push_back('"');
  for (const unsigned char c : text) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(out, "\\u%04x", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

Line::Line(Level level, const char* file, int line, absl::string_view message)
    : enabled_(static_cast<int>(level) >= min_level.load(std::memory_order_relaxed)) {
  if (!enabled_) return;
  text_ = absl::StrCat("{\"ts\":\"",
                       absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
                       "\",\"level\":\"", LevelName(level), "\",\"at\":\"", BaseName(file), ":",
                       line, "\",\"msg\":");
  AppendJsonString(&text_, message);
}

Line::~Line() {
  if (!enabled_) return;
  text_.append("}\n");
  // One fwrite per line keeps lines whole when threads log at once.
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  std::fwrite(text_.data(), 1, text_.size(), stderr);
  std::fflush(stderr);
}

Line& Line::Field(absl::string_view key, absl::string_view value) {
  if (!enabled_) return *this;
  text_.push_back(',');
  AppendJsonString(&text_, key);
  text_.push_back(':');
  AppendJsonString(&text_, value);
  return *this;
}

Line& Line::Field(absl::string_view key, int64_t value) {
  if (!enabled_) return *this;
  text_.push_back(',');
  AppendJsonString(&text_, key);
  absl::StrAppend(&text_, ":", value);
  return *this;
}

Line& Line::Field(absl::string_view key, uint64_t value) {
  if (!enabled_) return *this;
  text_.push_back(',');
  AppendJsonString(&text_, key);
  absl::StrAppend(&text_, ":", value);
  return *this;
}

Line& Line::Field(absl::string_view key, double value) {
  if (!enabled_) return *this;
  text_.push_back(',');
  AppendJsonString(&text_, key);
  absl::StrAppend(&text_, ":", value);
  return *this;
}

Line& Line::Field(absl::string_view key, bool value) {
  if (!enabled_) return *this;
  text_.push_back(',');
  AppendJsonString(&text_, key);
  text_.append(value ? ":true" : ":false");
  return *this;
}

}  // namespace retention::logging
