// A server-streaming gRPC call served from a SignalHub: writes the matching signals
// until the client goes, the server stops, or the client falls too far behind (then
// RESOURCE_EXHAUSTED, and it subscribes again).
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>

#include "libs/stream/signal_hub.h"

namespace retention::stream {

template <typename Signal>
grpc::Status StreamFromHub(grpc::ServerContext* context, SignalHub<Signal>* hub,
                           std::function<bool(const Signal&)> matches, grpc::ServerWriter<Signal>* writer) {
  auto subscription = hub->Subscribe(std::move(matches));
  grpc::Status status = grpc::Status::OK;
  while (!context->IsCancelled() && !subscription->closed()) {
    if (subscription->overflowed()) {
      status = grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "subscriber fell too far behind; subscribe again");
      break;
    }
    // A short wait, so that a cancelled call is noticed soon.
    if (auto signal = subscription->Next(absl::Milliseconds(500))) {
      if (!writer->Write(*signal)) break;
    }
  }
  hub->Unsubscribe(subscription);
  return status;
}

}  // namespace retention::stream
