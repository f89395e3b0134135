#include "tests/support/servers.h"

#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "libs/redis/redis_client.h"
#include "tests/support/env.h"

namespace retention::testing {
namespace {

std::string TempDir(const std::string& prefix) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = absl::StrCat(tmp ? tmp : "/tmp", "/", UniqueName(prefix));
  mkdir(dir.c_str(), 0755);
  return dir;
}

}  // namespace

RedisServer::RedisServer(std::vector<std::string> extra)
    : port_(FreePort()), dir_(TempDir("redis")), extra_(std::move(extra)) {
  Start();
}

void RedisServer::Start() {
  std::vector<std::string> args = {"--bind", "127.0.0.1", "--port", absl::StrCat(port_), "--save", "",
                                   "--appendonly", "yes", "--dir", dir_};
  args.insert(args.end(), extra_.begin(), extra_.end());
  process_ = std::make_unique<Process>("/usr/bin/redis-server", args, dir_ + "/redis.log");
  redis::RedisOptions options;
  options.port = port_;
  ASSERT_TRUE(WaitFor([&] { return redis::RedisClient(options).Connect().ok(); }, absl::Seconds(20)))
      << process_->Log();
}

void RedisServer::Kill() { process_->Kill(); }

void RedisServer::Stop() { EXPECT_EQ(process_->Terminate(), 0) << process_->Log(); }

std::string RedisServer::addr() const { return absl::StrCat("127.0.0.1:", port_); }

KafkaBroker::KafkaBroker() : port_(FreePort()), controller_port_(FreePort()), dir_(TempDir("kafka")) {
  const char* jars = std::getenv("KAFKA_JARS");
  EXPECT_TRUE(jars != nullptr) << "KAFKA_JARS is not set: run through ./tools/test";
  std::ofstream(dir_ + "/server.properties")
      << "process.roles=broker,controller\nnode.id=1\n"
      << "controller.quorum.voters=1@127.0.0.1:" << controller_port_ << "\n"
      << "listeners=PLAINTEXT://127.0.0.1:" << port_ << ",CONTROLLER://127.0.0.1:" << controller_port_ << "\n"
      << "advertised.listeners=PLAINTEXT://127.0.0.1:" << port_ << "\n"
      << "controller.listener.names=CONTROLLER\n"
      << "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\n"
      << "inter.broker.listener.name=PLAINTEXT\nlog.dirs=" << dir_ << "/data\n"
      << "auto.create.topics.enable=false\noffsets.topic.replication.factor=1\n"
      << "offsets.topic.num.partitions=1\ntransaction.state.log.replication.factor=1\n"
      << "transaction.state.log.min.isr=1\ntransaction.state.log.num.partitions=1\n"
      << "group.initial.rebalance.delay.ms=0\n";
  std::ofstream(dir_ + "/log4j.properties")
      << "log4j.rootLogger=WARN, stdout\nlog4j.appender.stdout=org.apache.log4j.ConsoleAppender\n"
      << "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout\n"
      << "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n\n"
      << "log4j.logger.kafka.server.KafkaRaftServer=INFO\n";
  Process format("/usr/bin/java",
                 {"-cp", absl::StrCat(jars ? jars : "", "/*"), "kafka.tools.StorageTool", "format", "-t",
                  "q1Sh-9_ISia_zwGINzRvyQ", "-c", dir_ + "/server.properties"},
                 dir_ + "/format.log");
  EXPECT_EQ(format.Wait(absl::Seconds(60)), 0) << format.Log();
  Start();
}

void KafkaBroker::Start() {
  const char* jars = std::getenv("KAFKA_JARS");
  process_ = std::make_unique<Process>(
      "/usr/bin/java",
      std::vector<std::string>{"-Xms256m", "-Xmx384m", "-cp", absl::StrCat(jars ? jars : "", "/*"),
                               "-Dlog4j.configuration=file:" + dir_ + "/log4j.properties", "kafka.Kafka",
                               dir_ + "/server.properties"},
      dir_ + "/kafka.log");
  ASSERT_TRUE(process_->WaitForLog("Kafka Server started", absl::Seconds(90))) << process_->Log();
}

void KafkaBroker::Kill() {
  // Forget the old log so that the next Start waits for a fresh "started" line.
  process_->Kill();
  std::remove((dir_ + "/kafka.log").c_str());
}

std::string KafkaBroker::brokers() const { return absl::StrCat("127.0.0.1:", port_); }

std::string HealthStatus(int port, const std::string& service) {
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  const grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) return absl::StrCat("error: ", status.error_message());
  return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status());
}

}  // namespace retention::testing
