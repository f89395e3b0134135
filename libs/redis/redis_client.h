// A Redis client over hiredis for batch work: every call sends its commands in one
// pipelined round trip. A broken connection is dropped and re-made on a later call,
// with exponential backoff between attempts; callers see UNAVAILABLE meanwhile. With a
// password, each connection authenticates first (Redis ACL users: AUTH user password).
// Not thread-safe: give each thread its own client, or lease one from a RedisPool.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <condition_variable>
#include <mutex>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

struct redisContext;

namespace retention::redis {

// One reply, decoded from hiredis' tree.
struct Reply {
  enum class Type { kNil, kString, kStatus, kInteger, kArray, kError };
  Type type = Type::kNil;
  std::string str;  // kString, kStatus, kError
  int64_t integer = 0;
  std::vector<Reply> elements;  // kArray

  bool is_nil() const { return type == Type::kNil; }
  bool is_error() const { return type == Type::kError; }
};

using Command = std::vector<std::string>;

// Commands already in the Redis protocol (RESP), in one buffer: a batch of thousands
// costs no allocation per command.
class CommandBatch {
 public:
  void Add(std::initializer_list<absl::string_view> args);
  void Reserve(size_t bytes) { data_.reserve(bytes); }
  // One command already encoded in RESP.
  void AddEncoded(absl::string_view encoded) {
    data_.append(encoded.data(), encoded.size());
    ++count_;
  }
  size_t size() const { return count_; }
  const std::string& data() const { return data_; }

 private:
  std::string data_;
  size_t count_ = 0;
};

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  // ACL user and password (empty user: the default user; empty password: no AUTH).
  std::string user;
  std::string password;
  absl::Duration connect_timeout = absl::Seconds(2);
  absl::Duration io_timeout = absl::Seconds(5);
  absl::Duration min_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
};

class RedisClient {
 public:
  explicit RedisClient(RedisOptions options);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Connects now; for start-up checks ("is Redis there?").
  absl::Status Connect();
  // Tries to connect until it succeeds or `timeout` passes (start-up).
  absl::Status ConnectWithin(absl::Duration timeout);

  // Sends all commands in one round trip and returns one reply per command. A Redis
  // error reply to one command is a Reply of type kError, not a failed call; a failed
  // call (UNAVAILABLE) means the connection broke and nothing can be assumed applied.
  absl::StatusOr<std::vector<Reply>> Pipeline(const std::vector<Command>& commands);
  absl::StatusOr<std::vector<Reply>> Pipeline(const CommandBatch& batch);

  // Wraps the commands in MULTI/EXEC, in one round trip: all apply or none do.
  // Returns the replies of the commands themselves.
  absl::StatusOr<std::vector<Reply>> Transaction(const std::vector<Command>& commands);

  // Runs a Lua script (EVAL) with its keys and arguments; one round trip.
  absl::StatusOr<Reply> Eval(absl::string_view script, const std::vector<std::string>& keys,
                             const std::vector<std::string>& args);

  bool connected() const { return context_ != nullptr; }
  std::string address() const;

 private:
  absl::Status EnsureConnected();
  void Disconnect();

  RedisOptions options_;
  redisContext* context_ = nullptr;
  absl::Duration backoff_;
  absl::Time next_attempt_ = absl::InfinitePast();
};

// A fixed set of connections shared by threads (e.g. gRPC handlers): each call leases
// a free connection, so that reads run side by side without a global lock.
class RedisPool {
 public:
  RedisPool(const RedisOptions& options, int size);

  // A connection for the lease's lifetime.
  class Lease {
   public:
    Lease(RedisPool* pool, RedisClient* client) : pool_(pool), client_(client) {}
    Lease(Lease&& other) noexcept : pool_(other.pool_), client_(other.client_) { other.client_ = nullptr; }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    RedisClient* operator->() const { return client_; }
    RedisClient& operator*() const { return *client_; }

   private:
    RedisPool* pool_;
    RedisClient* client_;
  };

  // Waits for a free connection.
  Lease Acquire();

 private:
  std::vector<std::unique_ptr<RedisClient>> clients_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<RedisClient*> free_;
};

}  // namespace retention::redis
