#include "libs/redis/redis_client.h"

#include <hiredis/hiredis.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace retention::redis {
namespace {


Reply Convert(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Convert(r->element[i]));
      break;
    default:
      out.type = Reply::Type::kNil;
  }
  return out;
}

}  // namespace

RedisClient::RedisClient(RedisOptions options)
    : options_(std::move(options)), backoff_(options_.min_backoff) {}

RedisClient::~RedisClient() { Disconnect(); }

std::string RedisClient::address() const { return absl::StrCat(options_.host, ":", options_.port); }

void RedisClient::Disconnect() {
  if (context_ != nullptr) {
    redisFree(context_);
    context_ = nullptr;
  }
}

absl::Status RedisClient::Connect() {
  next_attempt_ = absl::InfinitePast();
  return EnsureConnected();
}

absl::Status RedisClient::ConnectWithin(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Status status = Connect();
  while (!status.ok() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(200));
    status = Connect();
  }
  return status;
}

absl::Status RedisClient::EnsureConnected() {
  if (context_ != nullptr) return absl::OkStatus();
  const absl::Time now = absl::Now();
  if (now < next_attempt_) {
    return absl::UnavailableError(absl::StrCat("redis ", address(), " unreachable; next attempt in ",
                                               absl::FormatDuration(next_attempt_ - now)));
  }
  redisContext* c =
      redisConnectWithTimeout(options_.host.c_str(), options_.port, absl::ToTimeval(options_.connect_timeout));
  if (c == nullptr || c->err != 0) {
    const std::string why = c == nullptr ? "out of memory" : c->errstr;
    if (c != nullptr) redisFree(c);
    next_attempt_ = now + backoff_;
    backoff_ = std::min(backoff_ * 2, options_.max_backoff);
    return absl::UnavailableError(absl::StrCat("cannot connect to redis ", address(), ": ", why));
  }
  redisSetTimeout(c, absl::ToTimeval(options_.io_timeout));
  if (!options_.password.empty()) {
    // The password is passed as an argument, never formatted into a message.
    redisReply* auth = nullptr;
    if (options_.user.empty()) {
      auth = static_cast<redisReply*>(redisCommand(c, "AUTH %b", options_.password.data(), options_.password.size()));
    } else {
      auth = static_cast<redisReply*>(redisCommand(c, "AUTH %b %b", options_.user.data(), options_.user.size(),
                                                   options_.password.data(), options_.password.size()));
    }
    const bool ok = auth != nullptr && auth->type != REDIS_REPLY_ERROR;
    const std::string why = auth == nullptr ? std::string(c->errstr) : std::string(auth->str == nullptr ? "" : auth->str, auth->len);
    if (auth != nullptr) freeReplyObject(auth);
    if (!ok) {
      redisFree(c);
      next_attempt_ = now + backoff_;
      backoff_ = std::min(backoff_ * 2, options_.max_backoff);
      return absl::UnauthenticatedError(absl::StrCat("redis ", address(), ": authentication as ",
                                                     options_.user.empty() ? "default" : options_.user, " failed: ", why));
    }
  }
  context_ = c;
  backoff_ = options_.min_backoff;
  return absl::OkStatus();
}

void CommandBatch::Add(std::initializer_list<absl::string_view> args) {
  absl::StrAppend(&data_, "*", args.size(), "\r\n");
  for (absl::string_view arg : args) absl::StrAppend(&data_, "$", arg.size(), "\r\n", arg, "\r\n");
  ++count_;
}

absl::StatusOr<std::vector<Reply>> RedisClient::Pipeline(const std::vector<Command>& commands) {
  CommandBatch batch;
  for (const Command& command : commands) {
    std::string encoded = absl::StrCat("*", command.size(), "\r\n");
    for (const std::string& arg : command) absl::StrAppend(&encoded, "$", arg.size(), "\r\n", arg, "\r\n");
    batch.AddEncoded(encoded);
  }
  return Pipeline(batch);
}

absl::StatusOr<std::vector<Reply>> RedisClient::Pipeline(const CommandBatch& batch) {
  if (auto s = EnsureConnected(); !s.ok()) return s;
  if (redisAppendFormattedCommand(context_, batch.data().data(), batch.data().size()) != REDIS_OK) {
    const std::string why = context_->errstr;
    Disconnect();
    return absl::UnavailableError(absl::StrCat("redis ", address(), ": ", why));
  }
  std::vector<Reply> replies;
  replies.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
      const std::string why = context_->errstr;
      Disconnect();
      return absl::UnavailableError(absl::StrCat("redis ", address(), ": ", why));
    }
    redisReply* reply = static_cast<redisReply*>(raw);
    replies.push_back(Convert(reply));
    freeReplyObject(reply);
  }
  return replies;
}

absl::StatusOr<std::vector<Reply>> RedisClient::Transaction(const std::vector<Command>& commands) {
  std::vector<Command> wrapped;
  wrapped.reserve(commands.size() + 2);
  wrapped.push_back({"MULTI"});
  wrapped.insert(wrapped.end(), commands.begin(), commands.end());
  wrapped.push_back({"EXEC"});
  auto replies = Pipeline(wrapped);
  if (!replies.ok()) return replies.status();
  const Reply& exec = replies->back();
  if (exec.type != Reply::Type::kArray) {
    // EXECABORT: a command was refused while queueing; its error is the useful one.
    for (const Reply& r : *replies) {
      if (r.is_error()) return absl::InternalError(absl::StrCat("redis transaction refused: ", r.str));
    }
    return absl::InternalError(absl::StrCat("redis transaction failed: ", exec.str));
  }
  return std::move(replies->back().elements);
}

absl::StatusOr<Reply> RedisClient::Eval(absl::string_view script, const std::vector<std::string>& keys,
                                        const std::vector<std::string>& args) {
  CommandBatch batch;
  std::string encoded = absl::StrCat("*", 3 + keys.size() + args.size(), "\r\n");
  const auto add = [&encoded](absl::string_view arg) { absl::StrAppend(&encoded, "$", arg.size(), "\r\n", arg, "\r\n"); };
  add("EVAL");
  add(script);
  add(absl::StrCat(keys.size()));
  for (const std::string& k : keys) add(k);
  for (const std::string& a : args) add(a);
  batch.AddEncoded(encoded);
  auto replies = Pipeline(batch);
  if (!replies.ok()) return replies.status();
  return std::move(replies->front());
}

RedisPool::RedisPool(const RedisOptions& options, int size) {
  for (int i = 0; i < size; ++i) {
    clients_.push_back(std::make_unique<RedisClient>(options));
    free_.push_back(clients_.back().get());
  }
}

RedisPool::Lease RedisPool::Acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  freed_.wait(lock, [this] { return !free_.empty(); });
  RedisClient* client = free_.back();
  free_.pop_back();
  return Lease(this, client);
}

RedisPool::Lease::~Lease() {
  if (client_ == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(pool_->mu_);
    pool_->free_.push_back(client_);
  }
  pool_->freed_.notify_one();
}

}  // namespace retention::redis
