"""The demo's report, written as a client of the suite would write it (a BI or CRM
team): it asks the services over gRPC, reads the dead-letter topic, and compares the
streamed churn risks and each health band's churn rate with the generator's hidden
ground truth. Prints the report, and saves it as markdown with a PNG chart.

usage: demo_report.py --health H:P --churn H:P --reference H:P --brokers B
                      --labels labels.csv --ingest_metrics H:P --out DIR
"""
import argparse
import collections
import csv
import os
import sys

import grpc
from confluent_kafka import Consumer, TopicPartition

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from measures import auc, metric  # noqa: E402
from retention_protos import compile_protos  # noqa: E402

compile_protos()
from retention.v1 import advocacy_pb2, advocacy_pb2_grpc  # noqa: E402
from retention.v1 import churn_risk_pb2, churn_risk_pb2_grpc  # noqa: E402
from retention.v1 import dead_letter_pb2  # noqa: E402
from retention.v1 import health_pb2, health_pb2_grpc  # noqa: E402

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def all_health(stub):
    request, out = health_pb2.ListAccountsRequest(page_size=1000), []
    while True:
        response = stub.ListAccounts(request, timeout=30)
        out.extend(response.accounts)
        if not response.next_page_token:
            return out
        request.page_token = response.next_page_token


def all_risks(stub):
    request, out = churn_risk_pb2.ListAtRiskRequest(page_size=1000), []
    while True:
        response = stub.ListAtRisk(request, timeout=30)
        out.extend(response.risks)
        if not response.next_page_token:
            return out
        request.page_token = response.next_page_token


def dead_letters(brokers, topic):
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": "demo-report", "enable.auto.commit": False,
                         "isolation.level": "read_committed"})
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    ends = {}
    assignment = []
    for p in partitions:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        if high > low:
            ends[p] = high
            assignment.append(TopicPartition(topic, p, low))
    consumer.assign(assignment)
    letters = []
    while ends:
        message = consumer.poll(5)
        if message is None:
            break
        if message.error():
            continue
        letter = dead_letter_pb2.DeadLetter()
        letter.ParseFromString(message.value())
        letters.append(letter)
        if message.offset() + 1 >= ends.get(message.partition(), 0):
            ends.pop(message.partition(), None)
    consumer.close()
    return letters


def driver_names(risk):
    return ", ".join(churn_risk_pb2.ChurnFeature.Name(d.feature).replace("CHURN_FEATURE_", "").lower()
                     for d in risk.drivers) or "-"


def main():
    parser = argparse.ArgumentParser()
    for flag in ("health", "churn", "reference", "brokers", "labels", "ingest_metrics", "out"):
        parser.add_argument(f"--{flag}", required=True)
    parser.add_argument("--dlq_topic", default="retention.interactions.dlq")
    args = parser.parse_args()

    health = all_health(health_pb2_grpc.HealthServiceStub(grpc.insecure_channel(args.health)))
    risks = all_risks(churn_risk_pb2_grpc.ChurnRiskServiceStub(grpc.insecure_channel(args.churn)))
    references = advocacy_pb2_grpc.ReferencePipelineServiceStub(grpc.insecure_channel(args.reference))
    best = references.FindReferences(advocacy_pb2.FindReferencesRequest(limit=5), timeout=30)
    fintech = references.FindReferences(advocacy_pb2.FindReferencesRequest(
        criteria=advocacy_pb2.ReferenceCriteria(industry="fintech", products=["analytics", "workflows"],
                                                use_case="reduced-close-time"), limit=3), timeout=30)
    letters = dead_letters(args.brokers, args.dlq_topic)
    with open(args.labels, newline="") as f:
        labels = {row["account_id"]: row for row in csv.DictReader(f)}

    lines = []
    say = lines.append
    say("# Retention signals: demo report\n")
    received = metric(args.ingest_metrics, "retention_ingest_events_in_total")
    say(f"Ingest took {received:,.0f} records: {metric(args.ingest_metrics, 'retention_ingest_events_out_total'):,.0f} "
        f"canonical events, {metric(args.ingest_metrics, 'retention_ingest_duplicates_total'):,.0f} duplicates dropped, "
        f"{len(letters)} dead-lettered. {len(health):,} accounts scored, {len(risks):,} assessed.\n")

    total_arr = sum(r.arr for r in risks)
    at_risk = sum(r.revenue_at_risk for r in risks)
    say(f"## The ten accounts with the most revenue at risk\n")
    say(f"Revenue at risk across the base: ${at_risk:,.0f} of ${total_arr:,.0f} ARR ({at_risk / max(total_arr, 1):.0%}).\n")
    say("| account | churn risk | tier | ARR | revenue at risk | drivers | (hidden truth) |")
    say("|---|---:|---|---:|---:|---|---|")
    for r in risks[:10]:
        truth = labels.get(r.account_id, {})
        hidden = f"{truth.get('trajectory', '?')}{', churns' if truth.get('churned') == '1' else ''}"
        say(f"| {r.account_id} | {r.probability:.0%} | {churn_risk_pb2.RiskTier.Name(r.tier)} | ${r.arr:,} | "
            f"${r.revenue_at_risk:,.0f} | {driver_names(r)} | {hidden} |")

    say("\n## Health bands and loyalty stages\n")
    bands = collections.Counter(health_pb2.HealthBand.Name(h.band) for h in health)
    stages = collections.Counter(health_pb2.LoyaltyStage.Name(h.loyalty_stage) for h in health)
    # Bands mean outcomes: each band's churn rate at renewal, from the hidden truth.
    labelled, churned = collections.Counter(), collections.Counter()
    for h in health:
        if h.account_id in labels:
            band = health_pb2.HealthBand.Name(h.band)
            labelled[band] += 1
            churned[band] += labels[h.account_id]["churned"] == "1"
    base = sum(churned.values()) / max(sum(labelled.values()), 1)
    say(f"Each band's churn rate at the next renewal (the generator's hidden truth) against the base rate "
        f"of {base:.0%}: a RED account should churn far more often than a GREEN one.\n")

    def churn_rate(band):
        if not labelled[band]:
            return "-"
        rate = churned[band] / labelled[band]
        return f"{rate:.0%} ({rate / base:.1f}x)" if base else f"{rate:.0%}"

    say("| band | accounts | churn rate | | stage | accounts |")
    say("|---|---:|---:|---|---|---:|")
    band_rows = [(b, bands.get(b, 0), churn_rate(b)) for b in ("GREEN", "YELLOW", "RED")]
    stage_rows = [(s, stages.get(s, 0)) for s in ("CHAMPION", "LIKE", "SATISFACTION", "DISLIKE", "AVERSION")]
    for i in range(max(len(band_rows), len(stage_rows))):
        b = band_rows[i] if i < len(band_rows) else ("", "", "")
        s = stage_rows[i] if i < len(stage_rows) else ("", "")
        say(f"| {b[0]} | {b[1]} | {b[2]} | | {s[0]} | {s[1]} |")

    say("\n## The best reference candidates\n")
    say(f"{best.eligible_accounts} accounts are eligible now (GREEN, LIKE or CHAMPION, churn LOW, a recent success, "
        f"consent, not asked lately).\n")
    say("| rank | account | score | why | (hidden truth) |")
    say("|---:|---|---:|---|---|")
    for c in best.candidates:
        why = "; ".join(p.detail for p in c.explanation if p.points > 0)
        say(f"| {c.rank} | {c.profile.account_id} | {c.score:.1f} | {why} | "
            f"{labels.get(c.profile.account_id, {}).get('trajectory', '?')} |")
    if fintech.candidates:
        say("\nFor a fintech prospect wanting analytics and workflows to reduce close time:\n")
        for c in fintech.candidates:
            say(f"{c.rank}. {c.profile.account_id} ({c.score:.1f}): " +
                "; ".join(p.detail for p in c.explanation if p.points > 0))

    say("\n## Dead letters by reason\n")
    reasons = collections.Counter(dead_letter_pb2.RejectReason.Name(d.reason) for d in letters)
    say("| reason | records | example |")
    say("|---|---:|---|")
    for reason, n in reasons.most_common():
        example = next(d.detail for d in letters if dead_letter_pb2.RejectReason.Name(d.reason) == reason)
        example = " ".join(example.split()).replace("|", "/")[:90]
        say(f"| {reason} | {n} | {example} |")

    scored = [(r.probability, labels[r.account_id]["churned"] == "1") for r in risks if r.account_id in labels]
    if scored:
        model_auc = auc([s for s, _ in scored], [y for _, y in scored])
        health_by_account = {h.account_id: h.score for h in health}
        health_scored = [(-health_by_account[a], labels[a]["churned"] == "1") for a in labels if a in health_by_account]
        say("\n## The streamed risks against the hidden truth\n")
        say(f"Churn-risk's probabilities rank the accounts that will churn at renewal above those that "
            f"will not with AUC {model_auc:.3f} (health score alone: "
            f"{auc([s for s, _ in health_scored], [y for _, y in health_scored]):.3f}), over {len(scored):,} accounts.")

    # The chart: health scores by band, and risk against ARR.
    os.makedirs(args.out, exist_ok=True)
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    colours = {"GREEN": "#2e9e44", "YELLOW": "#e0b000", "RED": "#c8341c"}
    for band in ("RED", "YELLOW", "GREEN"):
        left.hist([h.score for h in health if health_pb2.HealthBand.Name(h.band) == band], bins=range(0, 105, 5),
                  color=colours[band], label=band)
    left.set(title="Health score distribution", xlabel="health score", ylabel="accounts")
    left.legend()
    tier_colours = {"LOW": "#2e9e44", "MEDIUM": "#e0b000", "HIGH": "#e06c00", "CRITICAL": "#c8341c"}
    for tier, colour in tier_colours.items():
        chosen = [r for r in risks if churn_risk_pb2.RiskTier.Name(r.tier) == tier]
        right.scatter([r.arr for r in chosen], [r.probability for r in chosen], s=8, color=colour, label=tier, alpha=0.6)
    right.set_xscale("log")
    right.set(title="Churn risk against ARR", xlabel="ARR (log scale)", ylabel="churn probability")
    right.legend()
    figure.tight_layout()
    chart = os.path.join(args.out, "report.png")
    figure.savefig(chart, dpi=110)
    say(f"\n![health distribution and risk against ARR](report.png)\n")

    report = "\n".join(lines) + "\n"
    with open(os.path.join(args.out, "report.md"), "w") as f:
        f.write(report)
    print(report)
    print(f"saved {os.path.join(args.out, 'report.md')} and {chart}")


if __name__ == "__main__":
    main()
