#include "tests/support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/time/clock.h"
#include "tests/support/env.h"

namespace retention::testing {

Process::Process(const std::string& binary, const std::vector<std::string>& args, const std::string& log_path)
    : log_path_(log_path) {
  std::vector<std::string> argv_storage = {binary};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  pid_ = fork();
  if (pid_ == 0) {
    const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv;
    for (std::string& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
}

Process::~Process() {
  if (Running()) Kill();
}

bool Process::Running() {
  if (reaped_ || pid_ <= 0) return false;
  const pid_t r = waitpid(pid_, &status_, WNOHANG);
  if (r == pid_) reaped_ = true;
  return !reaped_;
}

std::string Process::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool Process::WaitForLog(const std::string& text, absl::Duration timeout) {
  bool found = false;
  WaitFor(
      [&] {
        found = Log().find(text) != std::string::npos;
        return found || !Running();
      },
      timeout);
  return found;
}

void Process::Signal(int sig) {
  if (Running()) kill(pid_, sig);
}

void Process::Kill() {
  if (!Running()) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, &status_, 0);
  reaped_ = true;
}

int Process::Wait(absl::Duration timeout) {
  if (!WaitFor([&] { return !Running(); }, timeout, absl::Milliseconds(20))) {
    Kill();
    return -1;
  }
  // Like a shell: 128 + the signal for a process a signal ended.
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : WIFSIGNALED(status_) ? 128 + WTERMSIG(status_) : -1;
}

int Process::Terminate(absl::Duration grace) {
  Signal(SIGTERM);
  return Wait(grace);
}

}  // namespace retention::testing
