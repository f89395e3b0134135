// ingest's record decoding: any bytes as JSON or protobuf (by the content-type header,
// or sniffed without it), then validation. An accepted event must stay accepted when
// re-encoded as protobuf, as it is on retention.interactions.v1, and render as JSON.
#include <google/protobuf/util/json_util.h>

#include "services/ingest/decode.h"
#include "tests/fuzz/engine_harness.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace retention;
  static const ingest::IngestSettings settings;
  fuzz::FuzzInput in(data, size);
  std::vector<kafka::Header> headers;
  switch (in.Byte() % 4) {
    case 0:
      headers = {{ingest::kContentTypeHeader, ingest::kContentTypeJson}};
      break;
    case 1:
      headers = {{ingest::kContentTypeHeader, ingest::kContentTypeProtobuf}};
      break;
    case 2:
      break;  // sniffed
    case 3:
      headers = {{ingest::kContentTypeHeader, in.Bytes()}};
      break;
  }
  const std::string value = in.Rest();
  const ingest::Decoded decoded = ingest::DecodeRecord(value, headers, settings, fuzz::kFuzzWall);
  if (!decoded.event.has_value()) {
    FUZZ_CHECK(decoded.rejection.reason != v1::REJECT_REASON_UNSPECIFIED);
    return 0;
  }
  FUZZ_CHECK(!ingest::Validate(*decoded.event, settings, fuzz::kFuzzWall).has_value());
  // Readers render events as JSON (retentionctl tail): every accepted event must render,
  // once the ingestor has stamped received_at (Ingestor replaces the producer's).
  v1::InteractionEvent published = *decoded.event;
  published.mutable_received_at()->set_seconds(absl::ToUnixSeconds(fuzz::kFuzzWall));
  published.mutable_received_at()->set_nanos(0);
  std::string json;
  FUZZ_CHECK(google::protobuf::util::MessageToJsonString(published, &json).ok());
  const ingest::Decoded again = ingest::DecodeRecord(
      decoded.event->SerializeAsString(), {{ingest::kContentTypeHeader, ingest::kContentTypeProtobuf}}, settings,
      fuzz::kFuzzWall);
  FUZZ_CHECK(again.event.has_value());
  return 0;
}
