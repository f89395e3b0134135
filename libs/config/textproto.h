// Configuration files in protobuf text format: parse with errors that name the file,
// line and column, and find the line of any field for errors found after parsing.
#pragma once

#include <google/protobuf/message.h>
#include <google/protobuf/text_format.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace retention::config {

// Parses `text` into `out`, recording field positions in `tree`. A syntax error reads
// "<file>:<line>:<column>: <reason>".
absl::Status ParseTextProto(const std::string& text, absl::string_view file, google::protobuf::Message* out,
                            google::protobuf::TextFormat::ParseInfoTree* tree);

// The whole file, or NOT_FOUND naming the path.
absl::StatusOr<std::string> ReadConfigFile(const std::string& path);

// 1-based line of `field` (element `index` if repeated) in `tree`, or `fallback`.
int LineOf(const google::protobuf::TextFormat::ParseInfoTree* tree, const google::protobuf::FieldDescriptor* field,
           int index = -1, int fallback = 1);

}  // namespace retention::config
