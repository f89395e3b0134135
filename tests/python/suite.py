"""What a Python team needs to use the suite: the repository's protos compiled for
Python, and the suite's services started against the test Kafka and Redis."""
import os
import signal
import socket
import subprocess
import sys
import time
import uuid

from confluent_kafka.admin import AdminClient, NewTopic

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools/python"))
from retention_protos import compile_protos  # noqa: E402
BIN = os.environ.get("RETENTION_BIN", os.path.join(ROOT, "bazel-bin"))
# Optimised tools (generate, train): tools/test passes Bazel's -c opt output directory.
TOOLS_BIN = os.environ.get("RETENTION_TOOLS_BIN", os.path.join(ROOT, "bazel-bin"))
BROKERS = os.environ.get("KAFKA_BROKERS", "127.0.0.1:9092")
REDIS = os.environ.get("REDIS_ADDR", "127.0.0.1:6379")


def unique(name):
    return f"{name}-{uuid.uuid4().hex[:10]}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_topics(*names, partitions=3):
    admin = AdminClient({"bootstrap.servers": BROKERS})
    futures = admin.create_topics([NewTopic(n, num_partitions=partitions, replication_factor=1) for n in names])
    for future in futures.values():
        future.result(timeout=30)


def wait_for(condition, timeout, what):
    """Polls condition() until it returns a true value, at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


class Service:
    """One of the suite's services as a child process, logging to a file."""

    def __init__(self, name, flags, log_dir):
        self.name = name
        self.log_path = os.path.join(log_dir, f"{name}.log")
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen([os.path.join(BIN, "services", name, name), *flags],
                                            stdout=log, stderr=subprocess.STDOUT)
        wait_for(lambda: f'"{name} ready"' in self.log() or self.process.poll() is not None, 60, f"{name} to start")
        if self.process.poll() is not None:
            raise AssertionError(f"{name} exited: {self.log()}")

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
