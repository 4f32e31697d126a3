"""Issue 18's speed targets, measured as whole processes (paired, median of 5).

    python bench/cli_startup.py   # needs farm-bench and data/raw/aijobs/salaries.csv

- `marketlib --help` under 0.3 s (no pandas at start);
- `marketlib clean rates salaries.csv --format aijobs` within 1.3x a bare pandas read_csv +
  to_parquet of the same file.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ML = str(ROOT / ".venv" / "bin" / "marketlib")
PY = str(ROOT / ".venv" / "bin" / "python")
AIJOBS = ROOT / "data" / "raw" / "aijobs" / "salaries.csv"
BARE = (
    "import sys, pandas as pd; pd.read_csv(sys.argv[1], dtype=str, "
    "keep_default_na=False).to_parquet(sys.argv[2])"
)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "bare.py"
        bare.write_text(BARE)
        runs = [
            ["farm-bench", "-n", "10", "--", ML, "--help"],
            [
                "farm-bench",
                "-n",
                "5",
                "--timeout",
                "300",
                "--vs",
                f"{PY} {bare} {AIJOBS} {tmp}/bare.parquet",
                "--",
                ML,
                "clean",
                "rates",
                str(AIJOBS),
                "--format",
                "aijobs",
                "--out",
                f"{tmp}/out",
            ],
        ]
        for cmd in runs:
            print("$", " ".join(cmd[:8]), "...", flush=True)
            subprocess.run(cmd, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
