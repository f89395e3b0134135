#include "libs/config/flags.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace retention::config {
namespace {

// Only the suite's own flags take environment overrides, not those of linked libraries.
bool IsOwnFlag(const absl::CommandLineFlag& flag) {
  const std::string file = flag.Filename();
  for (const char* root : {"services/", "libs/", "tools/", "tests/"}) {
    if (file.find(root) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

std::string EnvVarFor(absl::string_view flag_name) {
  return absl::StrCat("RETENTION_", absl::AsciiStrToUpper(flag_name));
}

std::vector<char*> ParseFlags(int argc, char** argv, absl::string_view usage) {
  static const bool usage_set = [&] {  // absl allows setting it once per process
    absl::SetProgramUsageMessage(usage);
    return true;
  }();
  (void)usage_set;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (!IsOwnFlag(*flag)) continue;
    const std::string var = EnvVarFor(name);
    const char* value = std::getenv(var.c_str());
    if (value == nullptr) continue;
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      // At most a short prefix of the value: it could be long, or not meant for logs.
      const std::string shown = std::strlen(value) > 64 ? std::string(value, 64) + "..." : std::string(value);
      std::fprintf(stderr, "%s: configuration error: environment variable %s=\"%s\" (for --%s): %s\n",
                   argv[0], var.c_str(), shown.c_str(), std::string(name).c_str(), error.c_str());
      std::exit(2);
    }
  }
  return absl::ParseCommandLine(argc, argv);
}

void ExitOnConfigError(absl::string_view program, const absl::Status& status) {
  std::fprintf(stderr, "%s: configuration error: %s\n", std::string(program).c_str(),
               std::string(status.message()).c_str());
  std::exit(2);
}

void ExitOnStartupError(absl::string_view program, const absl::Status& status) {
  std::fprintf(stderr, "%s: cannot start: %s\n", std::string(program).c_str(),
               std::string(status.message()).c_str());
  std::exit(1);
}

absl::StatusOr<HostPort> ParseHostPort(absl::string_view text, absl::string_view what) {
  const size_t colon = text.rfind(':');
  HostPort result;
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(text.substr(colon + 1), &result.port) || result.port <= 0 ||
      result.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, "=\"", text, "\": expected host:port with a port in 1-65535"));
  }
  result.host = std::string(text.substr(0, colon));
  return result;
}

}  // namespace retention::config
