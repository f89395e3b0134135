"""A subscriber written in Python, as a team that does not use C++ would write it:
events go in as JSON on the raw topic, the churn-risk topic is read with
confluent-kafka and decoded with code generated from the repository's protos, and
GetRisk is called over gRPC. Runs ingest, health-score and churn-risk against the
real Kafka and Redis."""
import datetime
import json

import grpc
import pytest
from confluent_kafka import Consumer, Producer

import suite


@pytest.fixture(scope="module")
def pb():
    suite.compile_protos()
    from retention.v1 import churn_risk_pb2, churn_risk_pb2_grpc
    return churn_risk_pb2, churn_risk_pb2_grpc


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    t = {n: suite.unique(f"py-{n}") for n in ("raw", "v1", "dlq", "health", "churn", "overrides", "hq", "cq")}
    suite.create_topics(*t.values())
    logs = str(tmp_path_factory.mktemp("logs"))
    common = [f"--kafka_brokers={suite.BROKERS}", f"--redis_addr={suite.REDIS}", "--metrics_port=0"]
    churn_port = suite.free_port()
    services = []
    try:
        services.append(suite.Service("ingest", common + [
            f"--raw_topic={t['raw']}", f"--v1_topic={t['v1']}", f"--dlq_topic={t['dlq']}",
            f"--group_id={suite.unique('py-ingest')}", f"--instance_id={suite.unique('py-ingest')}", "--grpc_port=0"], logs))
        services.append(suite.Service("health-score", common + [
            f"--v1_topic={t['v1']}", f"--health_topic={t['health']}", f"--group_id={suite.unique('py-health')}",
            f"--overrides_topic={t['overrides']}", f"--quarantine_topic={t['hq']}",
            f"--state_prefix={suite.unique('py-health')}",
            f"--instance_id={suite.unique('py-health')}", "--grpc_port=0",
            f"--scorecard={suite.ROOT}/services/health-score/scorecards/default.textproto"], logs))
        services.append(suite.Service("churn-risk", common + [
            f"--v1_topic={t['v1']}", f"--health_topic={t['health']}", f"--churn_topic={t['churn']}",
            f"--group_id={suite.unique('py-churn')}", f"--instance_id={suite.unique('py-churn')}",
            f"--quarantine_topic={t['cq']}", f"--state_prefix={suite.unique('py-churn')}",
            f"--grpc_port={churn_port}",
            f"--model={suite.ROOT}/services/churn-risk/models/churn-2026-11-a.textproto"], logs))
        yield {"topics": t, "churn_addr": f"127.0.0.1:{churn_port}"}
    finally:
        for s in reversed(services):
            s.stop()


def iso(days_ago):
    when = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=days_ago)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def script(account):
    """A customer in trouble: usage halves, escalations, the champion leaves, NPS 2."""
    events = [
        {"accountProfile": {"plan": "business", "size": "mid-market", "industry": "retail"}},
        {"contractBilling": {"kind": "RENEWED", "arr": "120000", "seats": 40,
                             "renewalDate": iso(-60)}},
        {"stakeholderChange": {"kind": "JOINED", "role": "ADMIN", "champion": True}, "contactId": "champ"},
        {"stakeholderChange": {"kind": "JOINED", "role": "EXECUTIVE_SPONSOR"}, "contactId": "sponsor"},
    ]
    for day in range(70, 0, -1):
        active = 36 if day > 30 else max(2, 36 - (30 - day) * 2)
        events.append({"productUsage": {"activeUsers": active, "licensedSeats": 40,
                                        "featuresUsed": ["reports", "api"], "periodHours": 24}, "_day": day})
    events += [
        {"supportTicket": {"ticketId": "t1", "status": "ESCALATED"}, "_day": 12},
        {"supportTicket": {"ticketId": "t2", "status": "ESCALATED"}, "_day": 9},
        {"stakeholderChange": {"kind": "LEFT_COMPANY", "role": "ADMIN", "champion": True}, "contactId": "champ",
         "_day": 7},
        {"surveyResponse": {"surveyId": "nps", "nps": 2}, "_day": 3},
    ]
    out = []
    for i, e in enumerate(events):
        day = e.pop("_day", 80)
        e.update({"eventId": f"{account}-{i}", "accountId": account, "occurredAt": iso(day), "source": "py-test"})
        out.append(e)
    out.sort(key=lambda e: e["occurredAt"])
    return out


def test_python_subscriber_sees_ordered_signals_and_get_risk_agrees(stack, pb):
    churn_risk_pb2, churn_risk_pb2_grpc = pb
    account = suite.unique("py-acct")
    producer = Producer({"bootstrap.servers": suite.BROKERS, "enable.idempotence": True})
    for event in script(account):
        producer.produce(stack["topics"]["raw"], key=account, value=json.dumps(event),
                         headers=[("content-type", "application/json")])
    assert producer.flush(30) == 0

    consumer = Consumer({"bootstrap.servers": suite.BROKERS, "group.id": suite.unique("py-subscriber"),
                         "auto.offset.reset": "earliest", "isolation.level": "read_committed",
                         "enable.auto.commit": False})
    consumer.subscribe([stack["topics"]["churn"]])
    signals = []

    def high_reached():
        message = consumer.poll(0.5)
        if message is None or message.error():
            return False
        signal = churn_risk_pb2.ChurnRiskSignal()
        signal.ParseFromString(message.value())
        assert message.key().decode() == signal.account_id  # keyed by account
        if signals and signal.sequence <= signals[-1].sequence:  # at least once: drop repeats
            return False
        signals.append(signal)
        # Health signals and events arrive on two topics, so an early signal may be
        # scored from health alone, before the contract (and so the ARR) is known.
        return signal.risk.tier >= churn_risk_pb2.HIGH and signal.risk.arr == 120000

    try:
        suite.wait_for(high_reached, 90, "a HIGH or CRITICAL churn-risk signal that knows the contract")
    finally:
        consumer.close()

    # In order per account: each signal starts where the one before it ended.
    assert signals[0].account_id == account
    for before, after in zip(signals, signals[1:]):
        assert after.sequence == before.sequence + 1
        assert after.previous_probability == pytest.approx(before.risk.probability)
        assert after.previous_tier == before.risk.tier
    last = signals[-1]
    assert last.risk.model_version == "churn-2026-11-a"
    assert last.risk.revenue_at_risk == pytest.approx(last.risk.probability * 120000, rel=1e-6)
    for signal in signals:  # every signal prices the risk with the ARR known when it was scored
        assert signal.risk.revenue_at_risk == pytest.approx(signal.risk.probability * signal.risk.arr, rel=1e-6)

    with grpc.insecure_channel(stack["churn_addr"]) as channel:
        stub = churn_risk_pb2_grpc.ChurnRiskServiceStub(channel)
        risk = stub.GetRisk(churn_risk_pb2.GetRiskRequest(account_id=account), timeout=10)
        assert risk.tier >= churn_risk_pb2.HIGH
        names = [churn_risk_pb2.ChurnFeature.Name(d.feature) for d in risk.drivers]
        assert names, "a risky account names its drivers"
        print(f"\n{account}: {risk.probability:.2f} {churn_risk_pb2.RiskTier.Name(risk.tier)}, drivers {names}; "
              f"{len(signals)} signals read in Python")

        with pytest.raises(grpc.RpcError) as error:
            stub.GetRisk(churn_risk_pb2.GetRiskRequest(account_id=""), timeout=10)
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "account_id" in error.value.details()
