#!/usr/bin/env python3
"""Fail when a log contains any secret whose fingerprint (length and SHA-256) is listed.

    check_log_secrets.py LOG FINGERPRINTS

molecule's rotation scenario writes the fingerprints of the secrets the apps hold at verify
time; `make molecule` saves its whole output and runs this on it. Every substring of the log
with a listed length is hashed, so a secret is found wherever it appears, quoted or not.
"""

import hashlib
import sys
from pathlib import Path


def leaked(text, fingerprints):
    """The fingerprints of ``fingerprints`` found in ``text``."""
    data = text.encode()
    lengths = {length for length, _ in fingerprints}
    wanted = set(fingerprints)
    found = set()
    for length in lengths:
        for start in range(len(data) - length + 1):
            digest = hashlib.sha256(data[start : start + length]).hexdigest()
            if (length, digest) in wanted:
                found.add((length, digest))
    return found


def main(log_path, fingerprints_path):
    fingerprints = set()
    for line in Path(fingerprints_path).read_text().splitlines():
        length, digest = line.split()
        fingerprints.add((int(length), digest))
    if not fingerprints:
        raise SystemExit(f"{fingerprints_path}: no fingerprints, so nothing was checked")
    found = leaked(Path(log_path).read_text(errors="replace"), fingerprints)
    if found:
        raise SystemExit(f"{log_path}: {len(found)} secret value(s) appear in the log")
    print(f"{log_path}: none of {len(fingerprints)} secret values appears in the log")


if __name__ == "__main__":
    main(*sys.argv[1:])
