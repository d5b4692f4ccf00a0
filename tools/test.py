"""`make test`: the whole suite in two pytest processes at once, one per core.

The schemathesis fuzzing of every service's API (`tests/contract/test_schemathesis.py`:
in-process apps on SQLite, busy on the CPU) runs beside everything else (which spends
much of its time waiting on PostgreSQL), so together they take about as long as the
longer of the two. The rest reports as it goes; the fuzzing's report follows it. The exit
status is the first failing one's.

    python -m tools.test                 # the whole suite, in two processes
    python -m tools.test tests/unit -q   # pytest arguments: one plain pytest run

(pytest-xdist is no help here: its workers would not run schemathesis' generated tests,
and two workers creating and dropping PostgreSQL databases wait on each other.)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Sequence

FUZZ = "tests/contract/test_schemathesis.py"


def main(argv: Sequence[str]) -> int:
    pytest = [sys.executable, "-m", "pytest"]
    if argv:
        return subprocess.call([*pytest, *argv])
    with tempfile.TemporaryFile("w+") as report:
        beside = subprocess.Popen(
            [*pytest, "-p", "no:cacheprovider", "-q", FUZZ],
            stdout=report,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            status = subprocess.call([*pytest, "--ignore", FUZZ])
            fuzz_status = beside.wait()
        except BaseException:
            beside.kill()
            raise
        report.seek(0)
        print(f"\n==> {FUZZ} (ran beside the rest)", flush=True)
        sys.stdout.write(report.read())
        sys.stdout.flush()
    return status or fuzz_status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
