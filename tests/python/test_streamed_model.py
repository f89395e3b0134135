"""The churn model as it streams: a synthetic base with hidden ground truth goes to the
raw topic, through ingest, health-score and churn-risk (the shipped, fitted model), and
the risks they serve rank the accounts that churn at renewal above those that do not."""
import csv
import os
import subprocess

import grpc

import suite
from measures import auc, metric

ACCOUNTS = 1000


def test_streamed_risks_rank_churners_first_with_auc_at_least_080(tmp_path):
    suite.compile_protos()
    from retention.v1 import churn_risk_pb2, churn_risk_pb2_grpc

    t = {n: suite.unique(f"pym-{n}") for n in ("raw", "v1", "dlq", "health", "churn", "overrides", "hq", "cq")}
    suite.create_topics(*t.values())
    ports = {name: (suite.free_port(), suite.free_port()) for name in ("ingest", "health-score", "churn-risk")}
    common = [f"--kafka_brokers={suite.BROKERS}", f"--redis_addr={suite.REDIS}"]

    def flags(name):
        grpc_port, metrics_port = ports[name]
        flags = common + [f"--grpc_port={grpc_port}", f"--metrics_port={metrics_port}",
                          f"--group_id={suite.unique('pym-' + name)}", f"--instance_id={suite.unique('pym-' + name)}"]
        if name != "ingest":
            flags.append(f"--state_prefix={suite.unique('pym-' + name)}")
        return flags

    services = []
    try:
        services.append(suite.Service("ingest", flags("ingest") + [
            f"--raw_topic={t['raw']}", f"--v1_topic={t['v1']}", f"--dlq_topic={t['dlq']}"], str(tmp_path)))
        services.append(suite.Service("health-score", flags("health-score") + [
            f"--v1_topic={t['v1']}", f"--health_topic={t['health']}", f"--overrides_topic={t['overrides']}",
            f"--quarantine_topic={t['hq']}",
            f"--scorecard={suite.ROOT}/services/health-score/scorecards/default.textproto"], str(tmp_path)))
        services.append(suite.Service("churn-risk", flags("churn-risk") + [
            f"--v1_topic={t['v1']}", f"--health_topic={t['health']}", f"--churn_topic={t['churn']}",
            f"--quarantine_topic={t['cq']}",
            f"--model={suite.ROOT}/services/churn-risk/models/churn-2026-11-c.textproto"], str(tmp_path)))

        prefix = suite.unique("pym")
        labels_path = tmp_path / "labels.csv"
        out = subprocess.run([os.path.join(suite.TOOLS_BIN, "tools/generate/generate"), f"--accounts={ACCOUNTS}",
                              "--seed=21", "--end=now", f"--prefix={prefix}", f"--brokers={suite.BROKERS}",
                              f"--topic={t['raw']}", f"--labels={labels_path}", "--progress=false"],
                             check=True, capture_output=True, text=True).stdout
        sent = int(out.split()[2])

        def counted(service, name):
            return metric(f"127.0.0.1:{ports[service][1]}", name)

        def caught_up():
            out_events = counted("ingest", "retention_ingest_events_out_total")
            signals = counted("health-score", "retention_health_signals_published_total")
            return (counted("ingest", "retention_ingest_events_in_total") >= sent and
                    counted("health-score", "retention_health_inputs_applied_total") >= out_events and
                    counted("churn-risk", "retention_churn_inputs_applied_total") >= out_events + signals)

        suite.wait_for(caught_up, 600, "the services to apply every event and health signal")

        with open(labels_path, newline="") as f:
            churned = {row["account_id"]: row["churned"] == "1" for row in csv.DictReader(f)}
        stub = churn_risk_pb2_grpc.ChurnRiskServiceStub(grpc.insecure_channel(f"127.0.0.1:{ports['churn-risk'][0]}"))
        probability = {}
        for account in churned:
            risk = stub.GetRisk(churn_risk_pb2.GetRiskRequest(account_id=account), timeout=10)
            probability[account] = risk.probability
        streamed = auc([probability[a] for a in churned], [churned[a] for a in churned])
        print(f"\nstreamed through ingest, health-score and churn-risk: AUC {streamed:.4f} over {len(churned)} "
              f"accounts ({sum(churned.values())} churn at renewal)")
        assert streamed >= 0.80
    finally:
        for s in reversed(services):
            s.stop()
