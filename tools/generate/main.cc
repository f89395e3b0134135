// generate: writes a synthetic customer base to files (events.jsonl, labels.csv) or
// streams it to the raw Kafka topic at a chosen rate. Run `generate --help`.
#include <cstdio>
#include <fstream>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "libs/config/flags.h"
#include "libs/kafka/kafka_producer.h"
#include "tools/generate/generator.h"

ABSL_FLAG(uint64_t, seed, 1, "Seed: the same seed gives the same base, byte for byte");
ABSL_FLAG(int64_t, accounts, 1000, "Accounts to generate (100 to 1,000,000 and more)");
ABSL_FLAG(int, days, 120, "Days of history to simulate (at least 60)");
ABSL_FLAG(std::string, end, "2026-11-01T00:00:00Z", "When the history ends (RFC 3339, UTC), or \"now\"");
ABSL_FLAG(std::string, prefix, "acct", "Account ids are PREFIX-NNNNNNN");
ABSL_FLAG(std::string, out_dir, "", "Write events.jsonl and labels.csv here");
ABSL_FLAG(std::string, brokers, "", "Or stream to Kafka at these bootstrap servers");
ABSL_FLAG(std::string, topic, "retention.interactions.raw", "Topic to stream to");
ABSL_FLAG(std::string, labels, "", "With --brokers: also write the labels CSV here");
ABSL_FLAG(double, rate, 0, "Events per second when streaming; 0: as fast as the broker takes them");
ABSL_FLAG(double, malformed, 0, "Share of extra malformed records (0-1)");
ABSL_FLAG(double, repeat, 0, "Share of events sent twice with the same id (0-1)");
ABSL_FLAG(bool, progress, true, "Print a progress line to stderr");

namespace {

constexpr char kUsage[] = R"(generate: a synthetic B2B customer base with hidden ground truth.

  generate --accounts=5000 --seed=7 --out_dir=DIR
      DIR/events.jsonl: one InteractionEvent per line (JSON), in time order per chunk
      DIR/labels.csv:   per account: trajectory, churned at renewal, cause, advocate
  generate --accounts=2000 --brokers=HOST:PORT --rate=20000 --malformed=0.01 --repeat=0.02
      streams the same events to the raw topic)";

using retention::generate::Label;
using retention::generate::OutputRecord;

// Prints "<done>/<total> accounts, N records, R/s" at most twice a second.
class Progress {
 public:
  Progress(bool enabled, int64_t total) : enabled_(enabled), total_(total), start_(absl::Now()) {}
  void Update(int64_t accounts, int64_t records, bool last = false) {
    if (!enabled_ || (!last && absl::Now() - printed_ < absl::Milliseconds(500))) return;
    printed_ = absl::Now();
    const double secs = std::max(1e-3, absl::ToDoubleSeconds(printed_ - start_));
    std::fprintf(stderr, "\rgenerate: %lld/%lld accounts, %lld records, %.0f records/s%s",
                 static_cast<long long>(accounts), static_cast<long long>(total_), static_cast<long long>(records),
                 records / secs, last ? "\n" : "");
  }

 private:
  bool enabled_;
  int64_t total_;
  absl::Time start_;
  absl::Time printed_ = absl::InfinitePast();
};

}  // namespace

int main(int argc, char** argv) {
  retention::config::ParseFlags(argc, argv, kUsage);
  const std::string program = "generate";
  retention::generate::Settings settings;
  settings.seed = absl::GetFlag(FLAGS_seed);
  settings.accounts = absl::GetFlag(FLAGS_accounts);
  settings.days = absl::GetFlag(FLAGS_days);
  settings.prefix = absl::GetFlag(FLAGS_prefix);
  const std::string end = absl::GetFlag(FLAGS_end);
  std::string error;
  if (end == "now") {
    settings.end = absl::Now() - absl::Minutes(1);
  } else if (!absl::ParseTime(absl::RFC3339_full, end, &settings.end, &error)) {
    retention::config::ExitOnConfigError(program, absl::InvalidArgumentError(absl::StrCat("--end=", end, ": ", error)));
  }
  if (settings.accounts < 1) retention::config::ExitOnConfigError(program, absl::InvalidArgumentError("--accounts must be >= 1"));
  if (settings.days < 60) retention::config::ExitOnConfigError(program, absl::InvalidArgumentError("--days must be >= 60"));
  retention::generate::NoiseSettings noise{absl::GetFlag(FLAGS_malformed), absl::GetFlag(FLAGS_repeat)};
  if (noise.malformed < 0 || noise.malformed > 1 || noise.repeat < 0 || noise.repeat > 1) {
    retention::config::ExitOnConfigError(program, absl::InvalidArgumentError("--malformed and --repeat must be in [0, 1]"));
  }
  const std::string out_dir = absl::GetFlag(FLAGS_out_dir);
  const std::string brokers = absl::GetFlag(FLAGS_brokers);
  if (out_dir.empty() == brokers.empty()) {
    retention::config::ExitOnConfigError(program, absl::InvalidArgumentError("give exactly one of --out_dir and --brokers"));
  }
  std::string labels_path = absl::GetFlag(FLAGS_labels);
  std::ofstream events_file;
  if (!out_dir.empty()) {
    events_file.open(out_dir + "/events.jsonl", std::ios::binary | std::ios::trunc);
    if (!events_file) retention::config::ExitOnConfigError(program, absl::NotFoundError(absl::StrCat("--out_dir=", out_dir, ": cannot write events.jsonl")));
    labels_path = out_dir + "/labels.csv";
  }
  std::ofstream labels_file;
  if (!labels_path.empty()) {
    labels_file.open(labels_path, std::ios::binary | std::ios::trunc);
    if (!labels_file) retention::config::ExitOnConfigError(program, absl::NotFoundError(absl::StrCat("cannot write ", labels_path)));
    labels_file << retention::generate::LabelsHeader() << "\n";
  }

  std::unique_ptr<retention::kafka::KafkaProducer> producer;
  if (!brokers.empty()) {
    retention::kafka::ProducerOptions options;
    auto settings = retention::kafka::SettingsFromEnvironment(brokers, "generate");
    if (!settings.ok()) retention::config::ExitOnConfigError(program, settings.status());
    options.kafka = *settings;
    options.linger = absl::Milliseconds(20);
    auto created = retention::kafka::KafkaProducer::Create(options, absl::Seconds(30));
    if (!created.ok()) retention::config::ExitOnStartupError(program, created.status());
    producer = std::move(*created);
  }

  const double rate = absl::GetFlag(FLAGS_rate);
  const std::string topic = absl::GetFlag(FLAGS_topic);
  Progress progress(absl::GetFlag(FLAGS_progress), settings.accounts);
  int64_t accounts_done = 0, sent = 0, malformed = 0, repeats = 0;
  const absl::Time start = absl::Now();
  absl::Status failure;
  retention::generate::Generate(
      settings, noise, 256, [&](const std::vector<OutputRecord>& records, const std::vector<Label>& labels) {
        std::vector<retention::kafka::OutgoingRecord> batch;
        for (const OutputRecord& r : records) {
          malformed += r.malformed;
          repeats += r.repeat;
          if (events_file.is_open()) {
            events_file << r.line << "\n";
            ++sent;
            continue;
          }
          batch.push_back({topic, r.account_id, r.line, {{"content-type", "application/json"}}});
          // Batches of a tenth of a second at the chosen rate; unthrottled, the chunk
          // (waiting for delivery less often is what makes it fast).
          const size_t batch_size = rate > 0 ? std::max<size_t>(1, static_cast<size_t>(rate / 10)) : records.size();
          if (batch.size() >= batch_size) {
            if (failure = producer->ProduceAndWait(batch, absl::Seconds(60)); !failure.ok()) return false;
            sent += static_cast<int64_t>(batch.size());
            batch.clear();
            if (rate > 0) absl::SleepFor(start + absl::Seconds(sent / rate) - absl::Now());
            progress.Update(accounts_done, sent);
          }
        }
        if (!batch.empty()) {
          if (failure = producer->ProduceAndWait(batch, absl::Seconds(60)); !failure.ok()) return false;
          sent += static_cast<int64_t>(batch.size());
        }
        for (const Label& l : labels) labels_file << retention::generate::LabelRow(l) << "\n";
        accounts_done += static_cast<int64_t>(labels.size());
        progress.Update(accounts_done, sent);
        return true;
      });
  progress.Update(accounts_done, sent, /*last=*/true);
  if (!failure.ok()) retention::config::ExitOnStartupError(program, failure);
  if (events_file.is_open()) events_file.close();
  if ((events_file.is_open() && !events_file) || (labels_file.is_open() && !labels_file.flush())) {
    retention::config::ExitOnStartupError(program, absl::DataLossError("writing the output failed"));
  }
  std::printf("%lld accounts, %lld records (%lld malformed, %lld repeats) in %.1f s\n",
              static_cast<long long>(accounts_done), static_cast<long long>(sent), static_cast<long long>(malformed),
              static_cast<long long>(repeats), absl::ToDoubleSeconds(absl::Now() - start));
  return 0;
}
