#!/usr/bin/env python3
"""Counts test cases in the JUnit XML files Bazel wrote for the given test targets.

Usage: test_report.py <bazel-testlogs dir> <label>...
       test_report.py --junit <file>...   (JUnit XML from another runner, e.g. pytest)
Prints "<passed> <failed>"; a target or file without a result (it did not build or
run) counts as one failure, and is listed on stderr.
"""
import os
import sys
import xml.etree.ElementTree as ET


def xml_path(testlogs, label):
    package, _, name = label.lstrip("/").partition(":")
    return os.path.join(testlogs, package, name, "test.xml")


def count(path):
    passed = failed = 0
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.get("status") == "notrun" or case.find("skipped") is not None:
            continue
        else:
            passed += 1
    if passed == 0 and failed == 0:
        # A target whose binary crashed before gtest wrote cases.
        for suite in root.iter("testsuite"):
            failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
    return passed, failed


def main():
    if sys.argv[1] == "--junit":
        items = [(path, path) for path in sys.argv[2:]]
    else:
        items = [(label, xml_path(sys.argv[1], label)) for label in sys.argv[2:]]
    passed = failed = 0
    for label, path in items:
        if not os.path.exists(path):
            print(f"no result for {label}", file=sys.stderr)
            failed += 1
            continue
        try:
            p, f = count(path)
        except ET.ParseError as error:
            print(f"unreadable result for {label}: {error}", file=sys.stderr)
            p, f = 0, 1
        passed += p
        failed += f
    print(passed, failed)


if __name__ == "__main__":
    main()
