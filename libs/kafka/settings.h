// How to reach Kafka, shared by every client of the suite (consumers, producers, the
// admin helpers, the topic reader, retentionctl, benchmarks): the brokers, a client id,
// and any librdkafka properties, e.g. for a SASL_SSL cluster.
//
// Properties come from one mechanism, in this order (later wins):
//   1. a properties file (--kafka_properties): lines "name=value", '#' comments;
//   2. environment variables RETENTION_KAFKA_<NAME>, the property name upper-cased with
//      '.' as '_' (RETENTION_KAFKA_SECURITY_PROTOCOL=SASL_SSL sets security.protocol);
//      RETENTION_KAFKA_BROKERS and RETENTION_KAFKA_PROPERTIES are the flags themselves.
// A value of the form ${file:/path} is replaced by the file's content (trailing
// whitespace trimmed), so that secrets live in mounted files, never in flags or logs.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace retention::kafka {

struct KafkaSettings {
  // bootstrap.servers
  std::string brokers;
  // client.id, shown in broker logs and metrics.
  std::string client_id = "retention";
  // Further librdkafka properties, applied last (secrets already read).
  std::map<std::string, std::string> properties;
};

// The properties from `file` (may be empty: none) and the environment `envp`
// (a null-terminated array as `environ`; may be null). Errors name the file and line,
// or the variable, never a value.
absl::StatusOr<std::map<std::string, std::string>> LoadKafkaProperties(const std::string& file,
                                                                       char* const* envp);

// Replaces a ${file:/path} value by the file's content; other values are returned as is.
absl::StatusOr<std::string> ResolveSecret(absl::string_view value);

// Settings for a tool or test: `brokers`, plus the properties of --kafka_properties /
// RETENTION_KAFKA_* from this process's environment (RETENTION_KAFKA_PROPERTIES names
// the file when set).
absl::StatusOr<KafkaSettings> SettingsFromEnvironment(const std::string& brokers, const std::string& client_id);

}  // namespace retention::kafka
