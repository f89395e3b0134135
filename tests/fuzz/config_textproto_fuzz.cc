// libs/config's text-format loader: any text parsed into the topics file's message
// (retention.v1.TopicSet), then the line of every field read back from the parse tree.
#include "libs/config/textproto.h"
#include "retention/v1/topics.pb.h"
#include "tests/fuzz/engine_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace retention;
  v1::TopicSet set;
  google::protobuf::TextFormat::ParseInfoTree tree;
  const absl::Status parsed =
      config::ParseTextProto(std::string(reinterpret_cast<const char*>(data), size), "fuzz.textproto", &set, &tree);
  if (!parsed.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(parsed));
    return 0;
  }
  const auto* topics = v1::TopicSet::descriptor()->FindFieldByName("topics");
  for (int i = 0; i < set.topics_size(); ++i) {
    FUZZ_CHECK(config::LineOf(&tree, topics, i) >= 1);
    const google::protobuf::TextFormat::ParseInfoTree* nested = tree.GetTreeForNested(topics, i);
    const google::protobuf::Descriptor* spec = set.topics(i).GetDescriptor();
    for (int f = 0; f < spec->field_count(); ++f) {
      const google::protobuf::FieldDescriptor* field = spec->field(f);
      FUZZ_CHECK(config::LineOf(nested, field, field->is_repeated() ? 0 : -1) >= 1);
    }
  }
  FUZZ_CHECK(config::LineOf(&tree, topics, set.topics_size(), 7) == 7);
  return 0;
}
