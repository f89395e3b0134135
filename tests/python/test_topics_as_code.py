"""The topics' one definition (deploy/topics/topics.textproto) and what is made from it:
the Strimzi KafkaTopic resources and tools/stack's list."""
import glob
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools/python"))
import topics  # noqa: E402  (tools/python/topics.py)

# Topics a service reads together, joined by partition: one partition count each.
CO_PARTITIONED = [
    ["retention.interactions.v1", "retention.health.v1"],  # churn-risk
    ["retention.interactions.v1", "retention.health.v1", "retention.churn-risk.v1"],  # reference-pipeline
]


def by_name():
    return {t.name: t for t in topics.load().topics}


def test_every_topic_of_the_suite_is_defined_with_its_policy():
    defined = by_name()
    assert set(defined) == {
        "retention.interactions.raw", "retention.interactions.v1", "retention.interactions.dlq",
        "retention.health.v1", "retention.churn-risk.v1", "retention.advocacy.v1",
        "retention.health.overrides.v1", "retention.advocacy.requests.v1",
        "retention.health-score.quarantine", "retention.churn-risk.quarantine",
        "retention.reference-pipeline.quarantine",
    }
    for name in ("retention.health.v1", "retention.churn-risk.v1", "retention.advocacy.v1",
                 "retention.health.overrides.v1", "retention.advocacy.requests.v1"):
        assert defined[name].cleanup_policy == "compact", name
    # Records of people's decisions are kept forever.
    for name in ("retention.health.overrides.v1", "retention.advocacy.requests.v1"):
        assert defined[name].retention_ms == -1, name
    day = 24 * 3600 * 1000
    assert defined["retention.interactions.raw"].retention_ms == 7 * day
    assert defined["retention.interactions.v1"].retention_ms == 400 * day
    assert defined["retention.interactions.dlq"].retention_ms == 30 * day
    assert defined["retention.interactions.dlq"].max_message_bytes == 2 * 1024 * 1024


def test_co_partitioned_topics_share_a_partition_count():
    defined = by_name()
    for group in CO_PARTITIONED:
        counts = {defined[name].partitions for name in group}
        assert len(counts) == 1, f"{group}: {counts}"
    assert {t.partitions for t in defined.values()} == {12}


def test_a_malformed_definition_is_refused_with_the_topic_named(tmp_path):
    bad = tmp_path / "topics.textproto"
    bad.write_text('topics { name: "t" partitions: 3 cleanup_policy: "compacted" retention_ms: -1 }\n')
    with pytest.raises(ValueError, match="'t': cleanup_policy"):
        topics.load(str(bad))
    bad.write_text('topics { name: "t" partition: 3 }\n')
    with pytest.raises(topics.text_format.ParseError):
        topics.load(str(bad))


def test_committed_strimzi_resources_are_what_the_definition_gives():
    with open(topics.STRIMZI_FILE, encoding="utf-8") as f:
        committed = f.read()
    assert committed == topics.strimzi_yaml(topics.load()), \
        "deploy/topics/strimzi/kafkatopics.yaml is stale: run tools/python/topics.py strimzi"


def test_stack_list_overrides_partitions_and_carries_the_configs():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "tools/python/topics.py"), "list", "--partitions=3"],
                         check=True, capture_output=True, text=True).stdout.splitlines()
    rows = {line.split()[0]: line.split() for line in out}
    assert len(rows) == len(by_name())
    assert all(row[1] == "3" for row in rows.values())
    assert rows["retention.interactions.dlq"][2] == \
        "cleanup.policy=delete,retention.ms=2592000000,max.message.bytes=2097152"


def test_the_local_message_matches_the_proto_once_it_is_there():
    """topics.py declares retention.v1.TopicSpec itself; once protos/retention/v1 has it,
    the field numbers and names must agree."""
    declared = None
    for path in glob.glob(os.path.join(ROOT, "protos/retention/v1/*.proto")):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        match = re.search(r"message\s+TopicSpec\s*\{(.*?)\n\}", text, re.S)
        if match:
            declared = {int(n): name for name, n in re.findall(r"^\s*\w+\s+(\w+)\s*=\s*(\d+)\s*;", match.group(1), re.M)}
    if declared is None:
        pytest.skip("protos/retention/v1 has no TopicSpec yet")
    assert declared == {number: name for name, number, _ in topics.TOPIC_SPEC_FIELDS}
