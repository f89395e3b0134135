// librdkafka configuration helpers shared by the consumer, producer and admin code.
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "libs/kafka/settings.h"
#include "libs/log/log.h"

namespace retention::kafka::internal {

inline absl::Status Set(RdKafka::Conf& conf, const std::string& name, const std::string& value) {
  std::string error;
  if (conf.set(name, value, error) != RdKafka::Conf::CONF_OK) {
    // The value is never part of the message: it may be a secret.
    return absl::InvalidArgumentError(absl::StrCat("kafka property ", name, ": ", error));
  }
  return absl::OkStatus();
}

// A global conf with the brokers, client id, then `defaults`, then the user's properties.
inline absl::StatusOr<std::unique_ptr<RdKafka::Conf>> MakeConf(
    const KafkaSettings& settings, const std::map<std::string, std::string>& defaults) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  if (auto s = Set(*conf, "bootstrap.servers", settings.brokers); !s.ok()) return s;
  if (auto s = Set(*conf, "client.id", settings.client_id); !s.ok()) return s;
  for (const auto& [k, v] : defaults) {
    if (auto s = Set(*conf, k, v); !s.ok()) return s;
  }
  for (const auto& [k, v] : settings.properties) {
    if (auto s = Set(*conf, k, v); !s.ok()) return s;
  }
  return conf;
}

// Maps a librdkafka error to a Status: retriable -> UNAVAILABLE, needs abort -> ABORTED,
// fatal -> INTERNAL.
inline absl::Status FromError(RdKafka::Error* error, const char* what) {
  if (error == nullptr) return absl::OkStatus();
  std::unique_ptr<RdKafka::Error> owned(error);
  const std::string text = absl::StrCat("kafka ", what, ": ", owned->str());
  if (owned->is_fatal()) return absl::InternalError(text);
  if (owned->txn_requires_abort()) return absl::AbortedError(text);
  if (owned->is_retriable()) return absl::UnavailableError(text);
  return absl::UnknownError(text);
}

inline absl::Status FromCode(RdKafka::ErrorCode code, const std::string& what) {
  if (code == RdKafka::ERR_NO_ERROR) return absl::OkStatus();
  const std::string text = absl::StrCat("kafka ", what, ": ", RdKafka::err2str(code));
  switch (code) {
    case RdKafka::ERR__TRANSPORT:
    case RdKafka::ERR__ALL_BROKERS_DOWN:
    case RdKafka::ERR__TIMED_OUT:
    case RdKafka::ERR__QUEUE_FULL:
    case RdKafka::ERR__MSG_TIMED_OUT:
    case RdKafka::ERR_REQUEST_TIMED_OUT:
    case RdKafka::ERR_NOT_ENOUGH_REPLICAS:
    case RdKafka::ERR_NOT_LEADER_FOR_PARTITION:
    case RdKafka::ERR_LEADER_NOT_AVAILABLE:
      return absl::UnavailableError(text);
    case RdKafka::ERR__FENCED:
    case RdKafka::ERR_PRODUCER_FENCED:
      return absl::InternalError(text);
    case RdKafka::ERR_ILLEGAL_GENERATION:
    case RdKafka::ERR_UNKNOWN_MEMBER_ID:
    case RdKafka::ERR_REBALANCE_IN_PROGRESS:
    case RdKafka::ERR__ASSIGNMENT_LOST:
    case RdKafka::ERR__STATE:
      return absl::FailedPreconditionError(text);
    case RdKafka::ERR_MSG_SIZE_TOO_LARGE:
    case RdKafka::ERR_RECORD_LIST_TOO_LARGE:
      return absl::InvalidArgumentError(text);
    default:
      return absl::UnknownError(text);
  }
}

// Receives librdkafka's error and log events: logs go to the structured log, and a
// client-level error (all brokers down, transport failure) is kept until taken, so that
// an idle consumer still notices that Kafka went away.
class ClientEvents : public RdKafka::EventCb {
 public:
  void event_cb(RdKafka::Event& event) override {
    switch (event.type()) {
      case RdKafka::Event::EVENT_ERROR: {
        const std::string text = absl::StrCat("kafka client error: ", RdKafka::err2str(event.err()), ": ", event.str());
        std::lock_guard<std::mutex> lock(mu_);
        // While brokers stay down every connection attempt reports; one line per error
        // kind every 10 s is enough to read.
        const absl::Time now = absl::Now();
        if (event.err() != last_logged_code_ || now - last_logged_ > absl::Seconds(10)) {
          last_logged_code_ = event.err();
          last_logged_ = now;
          LOG_WARN("kafka client error").Field("error", RdKafka::err2str(event.err())).Field("detail", event.str());
        }
        pending_ = event.fatal() ? absl::InternalError(text) : absl::UnavailableError(text);
        break;
      }
      case RdKafka::Event::EVENT_LOG:
        if (event.severity() <= RdKafka::Event::EVENT_SEVERITY_ERROR) {
          LOG_ERROR("librdkafka").Field("facility", event.fac()).Field("detail", event.str());
        } else if (event.severity() <= RdKafka::Event::EVENT_SEVERITY_WARNING) {
          LOG_WARN("librdkafka").Field("facility", event.fac()).Field("detail", event.str());
        }
        break;
      default:
        break;
    }
  }

  // The error reported since the last call, or OK.
  absl::Status Take() {
    std::lock_guard<std::mutex> lock(mu_);
    absl::Status s = pending_;
    pending_ = absl::OkStatus();
    return s;
  }

 private:
  std::mutex mu_;
  absl::Status pending_;
  RdKafka::ErrorCode last_logged_code_ = RdKafka::ERR_NO_ERROR;
  absl::Time last_logged_ = absl::InfinitePast();
};

// Asks the brokers for metadata: proves they are reachable.
inline absl::Status CheckReachable(RdKafka::Handle& handle, const std::string& brokers,
                                   int timeout_ms) {
  RdKafka::Metadata* metadata = nullptr;
  const RdKafka::ErrorCode code = handle.metadata(true, nullptr, &metadata, timeout_ms);
  delete metadata;
  if (code != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("Kafka brokers ", brokers, " unreachable within ",
                                               timeout_ms, " ms: ", RdKafka::err2str(code)));
  }
  return absl::OkStatus();
}

}  // namespace retention::kafka::internal
