#include "libs/kafka/settings.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "libs/status/status_macros.h"

extern char** environ;

namespace retention::kafka {
namespace {

constexpr absl::string_view kEnvPrefix = "RETENTION_KAFKA_";

}  // namespace

absl::StatusOr<std::string> ResolveSecret(absl::string_view value) {
  absl::string_view path = value;
  if (!absl::ConsumePrefix(&path, "${file:") || !absl::ConsumeSuffix(&path, "}")) return std::string(value);
  std::ifstream in{std::string(path)};
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read secret file ", path));
  std::stringstream content;
  content << in.rdbuf();
  std::string text = content.str();
  absl::StripTrailingAsciiWhitespace(&text);
  return text;
}

absl::StatusOr<std::map<std::string, std::string>> LoadKafkaProperties(const std::string& file,
                                                                       char* const* envp) {
  std::map<std::string, std::string> properties;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) return absl::NotFoundError(absl::StrCat(file, ": cannot read the Kafka properties file"));
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
      const absl::string_view text = absl::StripAsciiWhitespace(line);
      if (text.empty() || text[0] == '#') continue;
      const size_t eq = text.find('=');
      if (eq == absl::string_view::npos || eq == 0) {
        return absl::InvalidArgumentError(absl::StrCat(file, ":", number, ": expected name=value"));
      }
      const std::string name(absl::StripAsciiWhitespace(text.substr(0, eq)));
      auto value = ResolveSecret(absl::StripAsciiWhitespace(text.substr(eq + 1)));
      if (!value.ok()) return absl::Status(value.status().code(), absl::StrCat(file, ":", number, ": ", name, ": ", value.status().message()));
      properties[name] = *std::move(value);
    }
  }
  for (char* const* env = envp; env != nullptr && *env != nullptr; ++env) {
    absl::string_view entry(*env);
    if (!absl::StartsWith(entry, kEnvPrefix)) continue;
    const size_t eq = entry.find('=');
    if (eq == absl::string_view::npos) continue;
    const absl::string_view variable = entry.substr(0, eq);
    const absl::string_view suffix = variable.substr(kEnvPrefix.size());
    if (suffix == "BROKERS" || suffix == "PROPERTIES" || suffix.empty()) continue;
    const std::string name = absl::StrReplaceAll(absl::AsciiStrToLower(suffix), {{"_", "."}});
    auto value = ResolveSecret(entry.substr(eq + 1));
    if (!value.ok()) return absl::Status(value.status().code(), absl::StrCat(variable, ": ", value.status().message()));
    properties[name] = *std::move(value);
  }
  return properties;
}

absl::StatusOr<KafkaSettings> SettingsFromEnvironment(const std::string& brokers, const std::string& client_id) {
  KafkaSettings settings;
  settings.brokers = brokers;
  settings.client_id = client_id;
  const char* file = std::getenv("RETENTION_KAFKA_PROPERTIES");
  RETENTION_ASSIGN_OR_RETURN(settings.properties, LoadKafkaProperties(file == nullptr ? "" : file, environ));
  return settings;
}

}  // namespace retention::kafka
