#include "libs/config/textproto.h"

#include <google/protobuf/io/tokenizer.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace retention::config {
namespace {

// Keeps the first syntax error with its position.
class FirstError : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column, const std::string& message) override {
    if (!message_.empty()) return;
    line_ = line + 1;
    column_ = column + 1;
    message_ = message;
  }
  std::string message_;
  int line_ = 0;
  int column_ = 0;
};

}  // namespace

absl::Status ParseTextProto(const std::string& text, absl::string_view file, google::protobuf::Message* out,
                            google::protobuf::TextFormat::ParseInfoTree* tree) {
  google::protobuf::TextFormat::Parser parser;
  FirstError errors;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(tree);
  if (!parser.ParseFromString(text, out)) {
    return absl::InvalidArgumentError(absl::StrCat(file, ":", errors.line_, ":", errors.column_, ": ", errors.message_));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read the file"));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int LineOf(const google::protobuf::TextFormat::ParseInfoTree* tree, const google::protobuf::FieldDescriptor* field,
           int index, int fallback) {
  if (tree == nullptr || field == nullptr) return fallback;
  const auto location = tree->GetLocation(field, field->is_repeated() ? index : -1);
  return location.line >= 0 ? location.line + 1 : fallback;
}

}  // namespace retention::config
