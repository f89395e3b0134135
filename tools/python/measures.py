"""Small measures shared by the Python tests and the demo report."""
import urllib.request


def metric(addr, name):
    """The sum of a Prometheus counter or gauge (over its labels) at http://addr/metrics."""
    text = urllib.request.urlopen(f"http://{addr}/metrics", timeout=10).read().decode()
    return sum(float(line.split()[-1]) for line in text.splitlines()
               if line.startswith(name) and line[len(name)] in " {")


def auc(scores, labels):
    """Mann-Whitney AUC: the chance a positive scores above a negative, ties counted half."""
    pairs = sorted(zip(scores, labels))
    rank_sum, positives, i = 0.0, 0, 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        for k in range(i, j):
            if pairs[k][1]:
                rank_sum += (i + 1 + j) / 2
                positives += 1
        i = j
    negatives = len(pairs) - positives
    if not positives or not negatives:
        return 0.5
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)
