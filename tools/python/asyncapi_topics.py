"""Checks that an AsyncAPI document describes exactly the topics of
deploy/topics/topics.textproto, with the same partitions, cleanup policy, retention and
largest message (its Kafka channel bindings), and that every channel has a writer.

  asyncapi_topics.py deploy/asyncapi.yaml
"""
import os
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import topics  # noqa: E402


def problems(document, topic_set):
    found = []
    channels = {c.get("address"): (key, c) for key, c in document.get("channels", {}).items()}
    defined = {t.name: t for t in topic_set.topics}
    for name in sorted(set(defined) - set(channels)):
        found.append(f"topic {name} has no channel")
    for name in sorted(set(channels) - set(defined)):
        found.append(f"channel {channels[name][0]} ({name}) is not a topic of topics.textproto")
    writers = {op["channel"]["$ref"].rsplit("/", 1)[-1]
               for op in document.get("operations", {}).values() if op.get("action") == "send"}
    for name in sorted(set(defined) & set(channels)):
        key, channel = channels[name]
        topic = defined[name]
        kafka = channel.get("bindings", {}).get("kafka", {})
        config = kafka.get("topicConfiguration", {})
        expected = {
            "topic": (kafka.get("topic"), name),
            "partitions": (kafka.get("partitions"), topic.partitions),
            "cleanup.policy": (config.get("cleanup.policy"), [topic.cleanup_policy]),
            "retention.ms": (config.get("retention.ms"), topic.retention_ms),
            "max.message.bytes": (config.get("max.message.bytes"), topic.max_message_bytes or None),
        }
        for what, (said, wanted) in expected.items():
            if said != wanted:
                found.append(f"channel {key} ({name}): {what} is {said!r}, topics.textproto says {wanted!r}")
        if key not in writers:
            found.append(f"channel {key} ({name}): no send operation says who writes it")
        if not channel.get("messages"):
            found.append(f"channel {key} ({name}): no message")
    return found


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        document = yaml.safe_load(f)
    topic_set = topics.load()
    found = problems(document, topic_set)
    for problem in found:
        print(f"{sys.argv[1]}: {problem}")
    print(f"{len(topic_set.topics)} topics, {len(document.get('channels', {}))} channels, {len(found)} problems")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
