"""`make test`: the whole suite on every core.

Everything but the schemathesis fuzzing runs on pytest-xdist workers, one per core, a
whole test file per worker (a module's fixtures are built once; each worker builds its own
databases). The fuzzing of every service's API (`tests/contract/test_schemathesis.py`:
289 generated tests, in-process apps on SQLite) runs in a pytest process of its own beside
them, because xdist workers would run one test per service instead of the generated ones.
The workers report as they go, then the 15 slowest tests (to keep the suite's time in
check); the fuzzing's report follows. The exit status is the first
failing one's.

    python -m tools.test                 # the whole suite
    python -m tools.test tests/unit -q   # pytest arguments: one plain pytest run
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
            status = subprocess.call(
                [*pytest, "-n", "auto", "--dist", "loadfile", "--durations", "15", "--ignore", FUZZ]
            )
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
