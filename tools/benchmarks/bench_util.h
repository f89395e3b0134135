// Helpers shared by the benchmarks: percentiles, timing a backlog, the latency a
// subscriber sees from sending an event to receiving the signal it caused, and
// concurrent callers of a query.
#pragma once

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <cstdio>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "libs/kafka/kafka_consumer.h"
#include "libs/kafka/kafka_producer.h"
#include "tests/support/kafka_io.h"
#include "tests/support/env.h"

namespace retention::bench {

// The p-quantile (0-1) of `values`, 0 when empty.
inline double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * static_cast<double>(values.size())))];
}

// Seconds from the first unit `counter` counts until it reaches `total`; nullopt if it
// does not start within 2 minutes or finish within 10.
inline std::optional<double> SecondsToCount(const std::function<double()>& counter, double total) {
  if (!testing::WaitFor([&] { return counter() > 0; }, absl::Minutes(2), absl::Milliseconds(5))) return std::nullopt;
  const absl::Time first = absl::Now();
  if (!testing::WaitFor([&] { return counter() >= total; }, absl::Minutes(10), absl::Milliseconds(20))) {
    return std::nullopt;
  }
  return absl::ToDoubleSeconds(absl::Now() - first);
}

// Reads a signal topic from its end as a subscriber would, and records for every signal
// whose trigger was Sent() the milliseconds from sending to receiving.
class SignalLatencyProbe {
 public:
  // `trigger_of` decodes a signal record's value to its trigger event id ("" if none).
  static std::unique_ptr<SignalLatencyProbe> Start(const std::string& brokers, const std::string& topic,
                                                   std::function<std::string(const std::string&)> trigger_of) {
    kafka::ConsumerOptions options;
    options.kafka = testing::KafkaFor(brokers);
    options.auto_offset_reset = "latest";
    options.group_id = testing::UniqueName("bench-subscriber");
    options.topics = {topic};
    auto consumer = kafka::KafkaConsumer::Create(options, absl::Seconds(30));
    if (!consumer.ok()) return nullptr;
    (void)(*consumer)->PollBatch(1, absl::Seconds(5));  // joins the group before anything is sent
    std::unique_ptr<SignalLatencyProbe> probe(new SignalLatencyProbe(std::move(*consumer), std::move(trigger_of)));
    probe->reader_ = std::thread([p = probe.get()] { p->Read(); });
    return probe;
  }

  void Sent(const std::string& trigger) {
    std::lock_guard<std::mutex> lock(mu_);
    sent_[trigger] = absl::Now();
  }

  // Stops reading and returns the latencies seen, in milliseconds.
  std::vector<double> Stop() {
    done_ = true;
    reader_.join();
    consumer_->Close();
    std::lock_guard<std::mutex> lock(mu_);
    return latencies_;
  }

 private:
  SignalLatencyProbe(std::unique_ptr<kafka::KafkaConsumer> consumer,
                     std::function<std::string(const std::string&)> trigger_of)
      : consumer_(std::move(consumer)), trigger_of_(std::move(trigger_of)) {}

  void Read() {
    while (!done_.load()) {
      auto batch = consumer_->PollBatch(1000, absl::Milliseconds(100));
      if (!batch.ok()) continue;
      const absl::Time now = absl::Now();
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& r : *batch) {
        if (auto it = sent_.find(trigger_of_(r.value)); it != sent_.end()) {
          latencies_.push_back(absl::ToDoubleMilliseconds(now - it->second));
        }
      }
    }
  }

  std::unique_ptr<kafka::KafkaConsumer> consumer_;
  std::function<std::string(const std::string&)> trigger_of_;
  std::mutex mu_;
  std::map<std::string, absl::Time> sent_;
  std::vector<double> latencies_;
  std::atomic<bool> done_{false};
  std::thread reader_;
};

// Sends `rate` events/s for `phase`, a tenth of a second at a time (`make(n)` gives
// the n-th event's id and record), waits until `caught_up(sent)` holds, and prints the
// send-to-signal latency the probe's subscriber saw, p50 and p99.
inline void MeasureSteadyRate(SignalLatencyProbe& probe, kafka::KafkaProducer& producer, int rate,
                              absl::Duration phase,
                              const std::function<std::pair<std::string, kafka::OutgoingRecord>(int)>& make,
                              const std::function<bool(int)>& caught_up) {
  const absl::Time end = absl::Now() + phase;
  int n = 0;
  while (absl::Now() < end) {
    const absl::Time tick = absl::Now();
    for (int i = 0; i < rate / 10; ++i, ++n) {
      auto [event_id, record] = make(n);
      probe.Sent(event_id);
      (void)producer.Produce(record);
    }
    absl::SleepFor(absl::Milliseconds(100) - (absl::Now() - tick));
  }
  testing::WaitFor([&] { return caught_up(n); }, absl::Seconds(60));
  absl::SleepFor(absl::Seconds(1));  // the last signals' way to the subscriber
  const std::vector<double> latencies = probe.Stop();
  std::printf("steady %d events/s for %s: %zu signals received; send-to-signal p50 %.1f ms, p99 %.1f ms\n", rate,
              absl::FormatDuration(phase).c_str(), latencies.size(), Percentile(latencies, 0.5),
              Percentile(latencies, 0.99));
}

struct CallerResults {
  std::vector<double> milliseconds;  // every call's latency
  int failed = 0;
  double qps = 0;
};

// Runs `call(caller, call_number)` from `callers` threads for `duration`; a call
// returns whether it succeeded.
inline CallerResults RunCallers(int callers, absl::Duration duration, const std::function<bool(int, int)>& call) {
  std::vector<std::vector<double>> per_caller(callers);
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  const absl::Time end = absl::Now() + duration;
  for (int c = 0; c < callers; ++c) {
    threads.emplace_back([&, c] {
      for (int n = 0; absl::Now() < end; ++n) {
        const absl::Time start = absl::Now();
        if (!call(c, n)) ++failed;
        per_caller[c].push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
      }
    });
  }
  for (auto& t : threads) t.join();
  CallerResults results;
  for (auto& v : per_caller) results.milliseconds.insert(results.milliseconds.end(), v.begin(), v.end());
  results.failed = failed.load();
  results.qps = results.milliseconds.size() / absl::ToDoubleSeconds(duration);
  return results;
}

}  // namespace retention::bench
