// Structured logging: one JSON object per line on stderr, with level, time, the
// source position and key/value fields.
//
//   LOG_WARN("redis unavailable").Field("addr", addr).Field("error", status.ToString());
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace retention::logging {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Lines below this level are dropped. Default kInfo.
void SetMinLevel(Level level);
// Parses "debug", "info", "warn" or "error".
bool ParseLevel(absl::string_view text, Level* level);

// One log line, written when it goes out of scope.
class Line {
 public:
  Line(Level level, const char* file, int line, absl::string_view message);
  ~Line();
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;

  Line& Field(absl::string_view key, absl::string_view value);
  Line& Field(absl::string_view key, const char* value) {
    return Field(key, absl::string_view(value));
  }
  Line& Field(absl::string_view key, const std::string& value) {
    return Field(key, absl::string_view(value));
  }
  Line& Field(absl::string_view key, int64_t value);
  Line& Field(absl::string_view key, int value) { return Field(key, int64_t{value}); }
  Line& Field(absl::string_view key, uint64_t value);
  Line& Field(absl::string_view key, double value);
  Line& Field(absl::string_view key, bool value);

 private:
  bool enabled_;
  std::string text_;
};

// JSON string escaping, shared with anything else that writes JSON by hand.
void AppendJsonString(std::string* out, absl::string_view text);

}  // namespace retention::logging

#define RETENTION_LOG(level, message) \
  ::retention::logging::Line(::retention::logging::Level::level, __FILE__, __LINE__, message)
#define LOG_DEBUG(message) RETENTION_LOG(kDebug, message)
#define LOG_INFO(message) RETENTION_LOG(kInfo, message)
#define LOG_WARN(message) RETENTION_LOG(kWarn, message)
#define LOG_ERROR(message) RETENTION_LOG(kError, message)
