"""Asks a service's grpc.health.v1 Health/Check over plaintext gRPC, as the kubelet's gRPC
probe does, until it answers SERVING or the wait runs out.

  health_check.py HOST:PORT [--service=retention.v1.HealthService] [--wait=60]

Exit code 0 when SERVING, 1 otherwise (the last status or error is printed). The
messages are read from protos/grpc/health/v1/health.proto, the copy the services
are built with.
"""
import argparse
import os
import sys
import tempfile
import time

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def health_messages():
    """(HealthCheckRequest, HealthCheckResponse) classes from the repository's proto."""
    from grpc_tools import protoc  # grpcio-tools, in the suite's venv

    with tempfile.TemporaryDirectory(prefix="retention-health-") as out:
        descriptor_set = os.path.join(out, "health.pb")
        code = protoc.main(["protoc", f"-I{os.path.join(ROOT, 'protos')}", f"--descriptor_set_out={descriptor_set}",
                            "grpc/health/v1/health.proto"])
        if code != 0:
            raise RuntimeError(f"protoc failed with {code}")
        with open(descriptor_set, "rb") as f:
            files = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:
        pool.Add(file)
    return tuple(message_factory.GetMessageClass(pool.FindMessageTypeByName(f"grpc.health.v1.{name}"))
                 for name in ("HealthCheckRequest", "HealthCheckResponse"))


def check(address, service="", wait=60.0, call_timeout=2.0):
    """Returns (serving, last status name or error)."""
    request_class, response_class = health_messages()
    status_names = response_class.DESCRIPTOR.fields_by_name["status"].enum_type.values_by_number
    deadline = time.monotonic() + wait
    last = "no answer"
    with grpc.insecure_channel(address) as channel:
        call = channel.unary_unary("/grpc.health.v1.Health/Check",
                                   request_serializer=request_class.SerializeToString,
                                   response_deserializer=response_class.FromString)
        while True:
            try:
                response = call(request_class(service=service), timeout=call_timeout)
                last = status_names[response.status].name
                if last == "SERVING":
                    return True, last
            except grpc.RpcError as error:
                last = f"{error.code().name}: {error.details()}"
            if time.monotonic() >= deadline:
                return False, last
            time.sleep(0.5)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("address", help="host:port of the gRPC server")
    parser.add_argument("--service", default="", help="service name to ask about (default: the server as a whole)")
    parser.add_argument("--wait", type=float, default=60.0, help="seconds to keep asking until SERVING")
    args = parser.parse_args()
    serving, status = check(args.address, args.service, args.wait)
    print(f"{args.address} {args.service or '(server)'}: {status}")
    return 0 if serving else 1


if __name__ == "__main__":
    sys.exit(main())
