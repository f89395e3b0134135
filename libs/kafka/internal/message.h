// Copies a librdkafka message into a ConsumedRecord; shared by the consumer and the
// topic reader.
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include "libs/kafka/record.h"

namespace retention::kafka::internal {

inline ConsumedRecord ToRecord(RdKafka::Message& msg) {
  ConsumedRecord r;
  r.topic = msg.topic_name();
  r.partition = msg.partition();
  r.offset = msg.offset();
  if (msg.key() != nullptr) r.key = *msg.key();
  r.value.assign(static_cast<const char*>(msg.payload()), msg.len());
  r.timestamp_ms = msg.timestamp().timestamp;
  // The C API reads headers in place; the C++ one copies each into a temporary.
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(static_cast<rd_kafka_message_t*>(msg.c_ptr()), &headers) ==
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
      r.headers.push_back({name, value == nullptr ? std::string() : std::string(static_cast<const char*>(value), size)});
    }
  }
  return r;
}

}  // namespace retention::kafka::internal
