// Configuration from flags with environment overrides, and start-up failure reporting.
//
// Each flag `--name` may also be set by the environment variable RETENTION_NAME
// (upper case); a command-line flag wins over the environment, which wins over the
// default. A value that does not parse, from either place, stops the program with a
// message that names the flag and where the value came from.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace retention::config {

// Applies environment overrides, then parses the command line. Exits with status 2
// and a message on stderr for an unknown flag or a bad value. Returns the positional
// arguments (argv[0] first).
std::vector<char*> ParseFlags(int argc, char** argv, absl::string_view usage);

// Prints "<program>: configuration error: <status message>" and exits with status 2.
// For settings that parse but make no sense (a port out of range, an empty topic).
[[noreturn]] void ExitOnConfigError(absl::string_view program, const absl::Status& status);

// Prints "<program>: cannot start: <status message>" and exits with status 1.
// For start-up failures outside the configuration (an unreachable broker).
[[noreturn]] void ExitOnStartupError(absl::string_view program, const absl::Status& status);

// The environment variable that overrides `flag_name`: RETENTION_ + upper case.
std::string EnvVarFor(absl::string_view flag_name);

struct HostPort {
  std::string host;
  int port = 0;
};

// Parses "host:port"; the error names `what` (e.g. "--redis_addr").
absl::StatusOr<HostPort> ParseHostPort(absl::string_view text, absl::string_view what);

}  // namespace retention::config
