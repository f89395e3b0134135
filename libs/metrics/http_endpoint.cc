#include "libs/metrics/http_endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "prometheus/text_serializer.h"

namespace retention::metrics {
namespace {

void WriteAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

std::string Response(int code, const char* reason, const std::string& type, const std::string& body) {
  return absl::StrCat("HTTP/1.1 ", code, " ", reason, "\r\nContent-Type: ", type, "\r\nContent-Length: ", body.size(),
                      "\r\nConnection: close\r\n\r\n", body);
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpEndpoint>> HttpEndpoint::Start(const std::string& bind, int port,
                                                                  std::shared_ptr<prometheus::Registry> registry,
                                                                  Probes probes) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, bind.c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("--metrics_bind=\"", bind, "\": expected an IPv4 address"));
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 16) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", bind, ":", port, ": ", why));
  }
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::unique_ptr<HttpEndpoint> self(new HttpEndpoint(fd, ntohs(addr.sin_port), std::move(registry), std::move(probes)));
  self->thread_ = std::thread([e = self.get()] { e->Serve(); });
  return self;
}

HttpEndpoint::~HttpEndpoint() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  ::close(fd_);
}

void HttpEndpoint::Serve() {
  while (!stop_.load()) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    timeval timeout{2, 0};
    ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    ::setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    Answer(client);
    ::close(client);
  }
}

void HttpEndpoint::Answer(int client) {
  std::string request;
  char buffer[2048];
  while (request.find("\r\n\r\n") == std::string::npos && request.size() < 8192) {
    const ssize_t n = ::recv(client, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    request.append(buffer, static_cast<size_t>(n));
  }
  const size_t end = request.find(' ', 4);
  if (!absl::StartsWith(request, "GET ") || end == std::string::npos) {
    WriteAll(client, Response(400, "Bad Request", "text/plain", "expected GET\n"));
    return;
  }
  std::string path = request.substr(4, end - 4);
  path = path.substr(0, path.find('?'));
  if (path == "/metrics") {
    WriteAll(client, Response(200, "OK", "text/plain; version=0.0.4",
                              prometheus::TextSerializer().Serialize(registry_->Collect())));
  } else if (path == "/livez") {
    const bool alive = probes_.alive();
    WriteAll(client, alive ? Response(200, "OK", "text/plain", "alive\n")
                           : Response(503, "Service Unavailable", "text/plain", "the processing loop is not progressing\n"));
  } else if (path == "/readyz") {
    const bool ready = probes_.ready();
    WriteAll(client, ready ? Response(200, "OK", "text/plain", "ready\n")
                           : Response(503, "Service Unavailable", "text/plain", "not serving\n"));
  } else {
    WriteAll(client, Response(404, "Not Found", "text/plain", "try /metrics, /livez or /readyz\n"));
  }
}

}  // namespace retention::metrics
