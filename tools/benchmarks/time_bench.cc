// Benchmark of re-evaluation as time passes (health-score's daily ticks): with many
// accounts and no events, how many accounts each turn touches against how many are due
// (the due index means a turn touches only those), and what sweeping them costs. The
// service runs on an accelerated clock, so simulated days pass in seconds.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/config/flags.h"
#include "libs/kafka/kafka_producer.h"
#include "libs/redis/redis_client.h"
#include "retention/v1/interaction_event.pb.h"
#include "tests/support/env.h"
#include "tests/support/kafka_io.h"
#include "tests/support/process.h"
#include "tools/benchmarks/bench_util.h"

ABSL_FLAG(std::string, kafka_brokers, "", "Kafka bootstrap servers");
ABSL_FLAG(std::string, redis_addr, "", "Redis host:port");
ABSL_FLAG(std::string, binary, "bazel-bin/services/health-score/health-score", "The health-score binary");
ABSL_FLAG(std::string, scorecard, "services/health-score/scorecards/default.textproto", "Scorecard file");
ABSL_FLAG(int, accounts, 100000, "Accounts with a history");
ABSL_FLAG(double, day_seconds, 20, "Real seconds per simulated day while measuring");
ABSL_FLAG(int, days, 2, "Simulated days measured");

namespace {

using retention::kafka::OutgoingRecord;
namespace v1 = retention::v1;
namespace testing = retention::testing;

constexpr int64_t kDay0 = 1'760'000'000;

// CPU seconds (user + system) the process has used so far.
double CpuSeconds(pid_t pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  std::getline(stat, line);
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct Snapshot {
  double due = 0, touched = 0, ticks = 0, sweeps = 0, sweep_seconds = 0, signals = 0, cpu = 0;
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string brokers = absl::GetFlag(FLAGS_kafka_brokers);
  const int accounts = absl::GetFlag(FLAGS_accounts);
  const std::string run = testing::UniqueName("tbench");
  const std::string v1_topic = run + "-v1", health_topic = run + "-health", overrides_topic = run + "-overrides",
                    quarantine_topic = run + "-quarantine";
  testing::CreateTopics({v1_topic, health_topic, overrides_topic, quarantine_topic}, 3, brokers);
  retention::kafka::ProducerOptions options;
  options.kafka = testing::KafkaFor(brokers);
  options.linger = absl::Milliseconds(20);
  auto producer = retention::kafka::KafkaProducer::Create(options, absl::Seconds(30));
  if (!producer.ok()) return 1;

  // Each account: a contract, a champion and two weeks of usage ending on day 59.
  std::mt19937 rng(5);
  std::vector<OutgoingRecord> backlog;
  const auto add = [&](const std::string& account, int day, const std::function<void(v1::InteractionEvent&)>& fill) {
    v1::InteractionEvent e;
    e.set_event_id(absl::StrCat(account, "-", backlog.size()));
    e.set_account_id(account);
    e.mutable_occurred_at()->set_seconds(kDay0 + day * 86400);
    fill(e);
    backlog.push_back({v1_topic, account, e.SerializeAsString(), {{"content-type", "application/x-protobuf"}}});
  };
  for (int a = 0; a < accounts; ++a) {
    const std::string account = absl::StrCat(run, "-acct-", a);
    add(account, 0, [](v1::InteractionEvent& e) {
      e.mutable_contract_billing()->set_kind(v1::ContractBilling::SIGNED);
      e.mutable_contract_billing()->set_arr(50'000);
    });
    add(account, 0, [](v1::InteractionEvent& e) {
      e.set_contact_id("champ");
      e.mutable_stakeholder_change()->set_kind(v1::StakeholderChange::JOINED);
      e.mutable_stakeholder_change()->set_champion(true);
    });
    for (int day = 46; day < 60; day += 3) {
      add(account, day, [&](v1::InteractionEvent& e) {
        e.mutable_product_usage()->set_active_users(static_cast<int>(10 + rng() % 30));
        e.mutable_product_usage()->set_licensed_seats(50);
      });
    }
  }
  if (!(*producer)->ProduceAndWait(backlog, absl::Minutes(10)).ok()) return 1;
  const double total = static_cast<double>(backlog.size());
  std::printf("loaded %zu events for %d accounts (last event on day 59)\n", backlog.size(), accounts);

  // The clock starts the day after the last event and runs a simulated day per day_seconds.
  const double rate = 86400 / absl::GetFlag(FLAGS_day_seconds);
  const int metrics_port = testing::FreePort();
  testing::Process service(
      absl::GetFlag(FLAGS_binary),
      {"--kafka_brokers=" + brokers, "--redis_addr=" + absl::GetFlag(FLAGS_redis_addr), "--v1_topic=" + v1_topic,
       "--health_topic=" + health_topic, "--overrides_topic=" + overrides_topic,
       "--quarantine_topic=" + quarantine_topic, "--group_id=" + run, "--instance_id=" + run, "--state_prefix=" + run,
       "--scorecard=" + absl::GetFlag(FLAGS_scorecard), absl::StrCat("--grpc_port=", testing::FreePort()),
       absl::StrCat("--metrics_port=", metrics_port), "--log_level=warn",
       "--clock_start=" + absl::FormatTime(absl::RFC3339_sec, absl::FromUnixSeconds(kDay0 + 60 * 86400),
                                           absl::UTCTimeZone()),
       absl::StrCat("--clock_rate=", rate)},
      "/tmp/" + run + ".log");
  const auto take = [&] {
    const std::string m = testing::HttpGet(metrics_port, "/metrics");
    Snapshot s;
    s.due = testing::MetricValue(m, "retention_health_due_accounts_total");
    s.touched = testing::MetricValue(m, "retention_health_accounts_touched_total");
    s.ticks = testing::MetricValue(m, "retention_health_ticks_total");
    s.sweeps = testing::MetricValue(m, "retention_health_sweep_seconds_count");
    s.sweep_seconds = testing::MetricValue(m, "retention_health_sweep_seconds_sum");
    s.signals = testing::MetricValue(m, "retention_health_signals_published_total");
    s.cpu = CpuSeconds(service.pid());
    return s;
  };
  const auto applied = retention::bench::SecondsToCount(
      [&] { return testing::MetricValue(testing::HttpGet(metrics_port, "/metrics"), "retention_health_inputs_applied_total"); },
      total);
  if (!applied.has_value()) {
    std::fprintf(stderr, "the service did not take the backlog in time:\n%s\n", service.Log().c_str());
    return 1;
  }
  std::printf("backlog applied in %.1f s\n", *applied);
  // Let the first turns catch up with the time that passed while loading.
  absl::SleepFor(absl::Seconds(3));
  const Snapshot before = take();
  const absl::Time started = absl::Now();
  absl::SleepFor(absl::Seconds(absl::GetFlag(FLAGS_day_seconds) * absl::GetFlag(FLAGS_days)));
  const Snapshot after = take();
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - started);

  const double due = after.due - before.due, touched = after.touched - before.touched;
  const double ticks = after.ticks - before.ticks, sweeps = after.sweeps - before.sweeps;
  const double sweep_seconds = after.sweep_seconds - before.sweep_seconds, cpu = after.cpu - before.cpu;
  std::printf("\n%d simulated days of silence (a day every %.0f s) over %d accounts:\n", absl::GetFlag(FLAGS_days),
              absl::GetFlag(FLAGS_day_seconds), accounts);
  std::printf("  turns that ticked        %.0f (%.2f per s)\n", sweeps, sweeps / elapsed);
  std::printf("  accounts due             %.0f (%.0f per turn; %.2f per account per day)\n", due,
              sweeps > 0 ? due / sweeps : 0, due / accounts / absl::GetFlag(FLAGS_days));
  std::printf("  accounts touched         %.0f (%.3f per account due: no scan of the other %d)\n", touched,
              due > 0 ? touched / due : 0, accounts);
  std::printf("  re-evaluations (ticks)   %.0f\n", ticks);
  std::printf("  signals published        %.0f\n", after.signals - before.signals);
  std::printf("  sweep time               %.3f s in all, %.1f ms per turn, %.1f us per account due\n", sweep_seconds,
              sweeps > 0 ? 1000 * sweep_seconds / sweeps : 0, due > 0 ? 1e6 * sweep_seconds / due : 0);
  std::printf("  health-score CPU         %.2f s (%.0f%% of a core)\n", cpu, 100 * cpu / elapsed);
  std::printf("  a day's sweep of all %d accounts: %.1f s of sweeping, %.1f CPU s\n", accounts,
              due > 0 ? sweep_seconds / due * accounts : 0, due > 0 ? cpu / due * accounts : 0);

  // The due index in Redis: one sorted-set member per account.
  auto hp = retention::config::ParseHostPort(absl::GetFlag(FLAGS_redis_addr), "--redis_addr");
  retention::redis::RedisOptions ro;
  ro.host = hp->host;
  ro.port = hp->port;
  retention::redis::RedisClient redis(ro);
  double index_bytes = 0;
  for (int p = 0; p < 3; ++p) {
    auto reply = redis.Pipeline({{"MEMORY", "USAGE", absl::StrCat(run, ":due:", p)}});
    if (reply.ok()) index_bytes += static_cast<double>((*reply)[0].integer);
  }
  std::printf("  due index in Redis       %.0f bytes per account\n", index_bytes / accounts);
  service.Terminate();
  return 0;
}
