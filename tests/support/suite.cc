#include "tests/support/suite.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/kafka_io.h"

namespace retention::testing {

SuiteTopics::SuiteTopics(int partitions, std::string brokers)
    : raw(UniqueName("raw")),
      v1(UniqueName("v1")),
      dlq(UniqueName("dlq")),
      health(UniqueName("health")),
      churn(UniqueName("churn")),
      advocacy(UniqueName("advocacy")),
      overrides(UniqueName("overrides")),
      requests(UniqueName("requests")),
      health_quarantine(UniqueName("hq")),
      churn_quarantine(UniqueName("cq")),
      reference_quarantine(UniqueName("rq")) {
  CreateTopics({raw, v1, dlq, health, churn, advocacy, overrides, requests, health_quarantine, churn_quarantine,
                reference_quarantine},
               partitions, std::move(brokers));
}

std::shared_ptr<grpc::Channel> Replica::Channel() const {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port), grpc::InsecureChannelCredentials());
}

Deployment::Deployment(std::string service, const SuiteTopics& t)
    : service_(std::move(service)), group_(UniqueName(service_)) {
  flags_ = {"--kafka_brokers=" + KafkaBrokers(), "--redis_addr=" + RedisAddr(), "--group_id=" + group_};
  if (service_ == "ingest") {
    flags_.insert(flags_.end(), {"--raw_topic=" + t.raw, "--v1_topic=" + t.v1, "--dlq_topic=" + t.dlq, "--state_prefix=" + group_});
    return;
  }
  flags_.push_back("--state_prefix=" + group_);
  if (service_ == "health-score") {
    flags_.insert(flags_.end(), {"--v1_topic=" + t.v1, "--health_topic=" + t.health, "--overrides_topic=" + t.overrides,
                                 "--quarantine_topic=" + t.health_quarantine,
                                 "--scorecard=" + Runfile(kShippedScorecard)});
  } else if (service_ == "churn-risk") {
    flags_.insert(flags_.end(), {"--v1_topic=" + t.v1, "--health_topic=" + t.health, "--churn_topic=" + t.churn,
                                 "--quarantine_topic=" + t.churn_quarantine, "--model=" + Runfile(kShippedModel)});
  } else if (service_ == "reference-pipeline") {
    flags_.insert(flags_.end(), {"--v1_topic=" + t.v1, "--health_topic=" + t.health, "--churn_topic=" + t.churn,
                                 "--requests_topic=" + t.requests, "--advocacy_topic=" + t.advocacy,
                                 "--quarantine_topic=" + t.reference_quarantine, "--policy=" + Runfile(kShippedPolicy)});
  } else {
    ADD_FAILURE() << "no such service: " << service_;
  }
}

void Deployment::AddFlags(const std::vector<std::string>& flags) { flags_.insert(flags_.end(), flags.begin(), flags.end()); }

std::unique_ptr<Replica> Deployment::Start(const std::vector<std::string>& extra, std::string instance) {
  auto r = std::make_unique<Replica>();
  r->instance = instance.empty() ? UniqueName(service_) : std::move(instance);
  r->grpc_port = FreePort();
  r->metrics_port = FreePort();
  std::vector<std::string> flags = flags_;
  flags.insert(flags.end(), {"--instance_id=" + r->instance, absl::StrCat("--grpc_port=", r->grpc_port),
                             absl::StrCat("--metrics_port=", r->metrics_port)});
  flags.insert(flags.end(), extra.begin(), extra.end());
  const char* tmp = std::getenv("TEST_TMPDIR");
  r->process = std::make_unique<Process>(Runfile(absl::StrCat("services/", service_, "/", service_)), flags,
                                         absl::StrCat(tmp == nullptr ? "/tmp" : tmp, "/", r->instance, ".log"));
  EXPECT_TRUE(r->process->WaitForLog(service_ + " ready", absl::Seconds(60))) << r->process->Log();
  return r;
}

}  // namespace retention::testing
