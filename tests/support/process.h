// A child process for tests: a service binary started with flags, its stderr in a file,
// stopped with SIGTERM or killed with SIGKILL.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace retention::testing {

class Process {
 public:
  // Starts `binary` with `args`; stdout and stderr go to `log_path`.
  Process(const std::string& binary, const std::vector<std::string>& args, const std::string& log_path);
  ~Process();  // kills it if still running

  // Waits until the log contains `text` or the process exits.
  bool WaitForLog(const std::string& text, absl::Duration timeout);
  std::string Log() const;

  // Sends SIGTERM and waits for the exit status (-1 if it had to be killed).
  int Terminate(absl::Duration grace = absl::Seconds(30));
  // Sends SIGKILL and reaps it.
  void Kill();
  void Signal(int sig);
  // Waits for it to exit by itself; the exit code (128 + the signal if a signal ended
  // it), or -1 on timeout (then kills it).
  int Wait(absl::Duration timeout);
  bool Running();

  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
  std::string log_path_;
};

}  // namespace retention::testing
