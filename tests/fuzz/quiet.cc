// Silences libprotobuf's log lines (invalid UTF-8 in a string field, and the like):
// fuzzed bytes trigger them by the thousand, and the parse failures they describe are
// answered by the code under test anyway.
#include <google/protobuf/stubs/logging.h>

namespace {

const bool kQuiet = [] {
  google::protobuf::SetLogHandler(nullptr);
  return true;
}();

}  // namespace
