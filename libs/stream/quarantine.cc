#include "libs/stream/quarantine.h"

#include <openssl/evp.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/proto/time_util.h"

namespace retention::stream {
namespace {

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), size));
}

kafka::OutgoingRecord ToRecord(const std::string& topic, const std::string& key, const v1::DeadLetter& letter) {
  kafka::OutgoingRecord out;
  out.topic = topic;
  out.key = key;
  letter.SerializeToString(&out.value);
  out.headers = {{"content-type", "application/x-protobuf"},
                 {"reject-reason", v1::RejectReason_Name(letter.reason())},
                 {"service", letter.service()}};
  return out;
}

}  // namespace

std::string Clip(absl::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  return absl::StrCat(s.substr(0, max), "... (", s.size(), " bytes)");
}

void KeepOriginal(absl::string_view value, size_t max_kept, v1::DeadLetter* letter) {
  if (value.size() <= max_kept) {
    letter->set_original_value(std::string(value));
    return;
  }
  letter->set_original_value(std::string(value.substr(0, max_kept)));
  letter->set_original_size(static_cast<int64_t>(value.size()));
  letter->set_original_sha256(Sha256Hex(value));
}

kafka::OutgoingRecord QuarantineRecord(const std::string& topic, const std::string& service,
                                       const kafka::ConsumedRecord& record, v1::RejectReason reason,
                                       absl::string_view detail, absl::Time now) {
  v1::DeadLetter letter;
  letter.set_reason(reason);
  letter.set_detail(std::string(detail));
  KeepOriginal(record.value, kMaxKeptBytes, &letter);
  letter.set_original_key(Clip(record.key, 1024));
  for (const kafka::Header& h : record.headers) {
    v1::RecordHeader* header = letter.add_original_headers();
    header->set_key(Clip(h.key, 256));
    header->set_value(Clip(h.value, 4096));
  }
  letter.set_source_topic(record.topic);
  letter.set_source_partition(record.partition);
  letter.set_source_offset(record.offset);
  *letter.mutable_rejected_at() = proto::ToTimestamp(now);
  letter.set_service(service);
  return ToRecord(topic, Clip(record.key, 1024), letter);
}

kafka::OutgoingRecord QuarantineState(const std::string& topic, const std::string& service, const std::string& account,
                                      const std::string& bytes, absl::Time now) {
  v1::DeadLetter letter;
  letter.set_reason(v1::UNREADABLE_STATE);
  letter.set_detail(absl::StrCat("the stored state of account ", Clip(account),
                                 " could not be read; the account restarted from a fresh state "
                                 "(rebuild the service to restore its history)"));
  KeepOriginal(bytes, kMaxKeptBytes, &letter);
  letter.set_original_key(account);
  *letter.mutable_rejected_at() = proto::ToTimestamp(now);
  letter.set_service(service);
  return ToRecord(topic, account, letter);
}

kafka::OutgoingRecord QuarantineOutput(const std::string& topic, const std::string& service,
                                       const kafka::OutgoingRecord& record, absl::string_view detail, absl::Time now) {
  v1::DeadLetter letter;
  letter.set_reason(v1::OUTPUT_REFUSED);
  letter.set_detail(absl::StrCat("publishing to ", record.topic, " was refused: ", detail));
  KeepOriginal(record.value, kMaxKeptBytes, &letter);
  letter.set_original_key(Clip(record.key, 1024));
  letter.set_source_topic(record.topic);
  *letter.mutable_rejected_at() = proto::ToTimestamp(now);
  letter.set_service(service);
  return ToRecord(topic, Clip(record.key, 1024), letter);
}

}  // namespace retention::stream
