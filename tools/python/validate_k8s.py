"""Validates rendered Kubernetes objects against Kubernetes' JSON schemas, strictly (an
unknown field fails), with the schemas kubernetes-validate ships (pinned in
tools/python/requirements.txt, so the check needs no network).

  validate_k8s.py [--kubernetes-version=1.33.0] FILE...

Objects of the custom resources listed in CHECKED_ELSEWHERE are skipped here (their
schemas are not Kubernetes'); any other kind without a schema fails. Prints one line per
object that fails and a summary; exit code 1 if any object fails.
"""
import argparse
import sys

import kubernetes_validate
import yaml

# Custom resources and who checks them: tools/k8s-check decodes ServiceMonitor and
# PrometheusRule strictly into the Prometheus Operator's Go types; KafkaTopic files are
# generated from deploy/topics/topics.textproto and compared with what the generator gives.
CHECKED_ELSEWHERE = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
    ("kafka.strimzi.io/v1beta2", "KafkaTopic"),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kubernetes-version", default=kubernetes_validate.latest_version(),
                        help="schemas of this Kubernetes version (default: the newest shipped)")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    checked = failed = skipped = 0
    for path in args.files:
        with open(path, encoding="utf-8") as f:
            documents = [d for d in yaml.safe_load_all(f) if d]
        for doc in documents:
            kind, api = doc.get("kind"), doc.get("apiVersion")
            name = f"{kind}/{doc.get('metadata', {}).get('name')}"
            if (api, kind) in CHECKED_ELSEWHERE:
                skipped += 1
                continue
            checked += 1
            try:
                kubernetes_validate.validate(doc, args.kubernetes_version, strict=True)
            except kubernetes_validate.ValidationError as error:
                failed += 1
                where = ".".join(str(p) for p in error.path) or "(object)"
                print(f"FAIL {path}: {name}: {where}: {error.message}")
            except kubernetes_validate.SchemaNotFoundError:
                failed += 1
                print(f"FAIL {path}: {name}: no schema for {api} {kind} in Kubernetes {args.kubernetes_version}")
    print(f"Kubernetes {args.kubernetes_version} schemas (strict): {checked} objects checked, {failed} failed, "
          f"{skipped} custom resources checked elsewhere")
    return 1 if failed or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
