"""What the kit's pytest plugin costs a pytest session that does not use it.

Every pytest session in an environment with the kit installed loads its ``pytest11`` entry
point.  This measures that cost as a user meets it: two venvs with the same dependencies at
the same versions, one with the kit's wheel and one without, each collecting an empty
project (``python -m pytest --co -q``) as a whole process, alternating round by round.  The
figure is the median of the per-round differences in milliseconds (and the ratio); the
target is at most 20 ms.

    python benchmarks/bench_plugin.py [--rounds 21] [--wheel dist/inngest_conformance-*.whl]

The venvs are kept in ``benchmarks/.venv-plugin-*`` (git-ignored) and rebuilt when the wheel
changes.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import BENCH_DIR, REPO_ROOT, emit, machine, median, table


def build_wheel() -> Path:
    out = Path(tempfile.mkdtemp(prefix="kit-wheel-"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(REPO_ROOT)],
        check=True,
    )
    (wheel,) = out.glob("*.whl")
    return wheel


def venv(name: str, stamp: str, install: list[str]) -> Path:
    """A venv under benchmarks/, rebuilt when ``stamp`` (the wheel's hash) changes."""
    path = BENCH_DIR / f".venv-plugin-{name}"
    marker = path / "stamp"
    if marker.exists() and marker.read_text() == stamp:
        return path / "bin" / "python"
    shutil.rmtree(path, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    python = path / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", *install], check=True)
    marker.write_text(stamp)
    return python


#: The sessions run as Python runs by default, caching bytecode: a machine that sets
#: PYTHONDONTWRITEBYTECODE makes every pytest session compile each entry-point plugin's
#: assertion-rewritten modules again (the kit's among them), which is not what a user meets.
SESSION_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def collect_once(python: Path, project: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [str(python), "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=SESSION_ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return time.perf_counter() - start


def plugin_import_us(python: Path) -> int:
    """Cumulative import time of the plugin module, pytest already loaded (``-X importtime``)."""
    done = subprocess.run(
        [str(python), "-X", "importtime", "-c", "import pytest; import inngest_conformance.plugin"],
        check=True,
        capture_output=True,
        text=True,
    )
    for line in done.stderr.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == "inngest_conformance.plugin":
            return int(parts[1])
    raise SystemExit("no import time for inngest_conformance.plugin")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--wheel", type=Path, default=None)
    args = parser.parse_args()
    wheel = args.wheel or build_wheel()
    stamp = hashlib.sha256(wheel.read_bytes()).hexdigest()
    with_kit = venv("with-kit", stamp, [str(wheel)])
    frozen = subprocess.run(
        [str(with_kit), "-m", "pip", "freeze", "--exclude", "inngest-conformance"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    without_kit = venv("without-kit", stamp, frozen)
    project = Path(tempfile.mkdtemp(prefix="empty-project-"))
    (project / "pyproject.toml").write_text('[project]\nname = "empty"\nversion = "0"\n')

    arms = {"with the kit": with_kit, "same deps, no kit": without_kit}
    times: dict[str, list[float]] = {name: [] for name in arms}
    for python in arms.values():  # warm the page cache and the bytecode
        collect_once(python, project)
    for r in range(args.rounds):
        order = list(arms) if r % 2 == 0 else list(arms)[::-1]
        for name in order:
            times[name].append(collect_once(arms[name], project))
        print(
            f"  round {r + 1}/{args.rounds}: "
            + ", ".join(f"{n} {times[n][-1] * 1000:.0f} ms" for n in arms),
            flush=True,
        )

    kit, base = times["with the kit"], times["same deps, no kit"]
    diffs = [(a - b) * 1000 for a, b in zip(kit, base, strict=True)]
    ratios = [a / b for a, b in zip(kit, base, strict=True)]
    rows = [
        [name, f"{median(ts) * 1000:.0f} ms", f"{min(ts) * 1000:.0f}–{max(ts) * 1000:.0f}"]
        for name, ts in (("with the kit", kit), ("same deps, no kit", base))
    ]
    print()
    print(table(["pytest --co -q, empty project", "median", "min–max"], rows))
    print(
        f"\nadded by the kit: {median(diffs):+.1f} ms per session (median of paired "
        f"differences; ratio {median(ratios):.3f}x); target <= 20 ms"
    )
    imports = sorted(plugin_import_us(with_kit) for _ in range(9))
    print(
        f"import inngest_conformance.plugin (pytest loaded): {imports[4] / 1000:.1f} ms cumulative"
    )
    emit(
        {
            "plugin_import_ms": imports[4] / 1000,
            "benchmark": "plugin_startup",
            "machine": machine(),
            "rounds": args.rounds,
            "median_ms": {"with_kit": median(kit) * 1000, "without_kit": median(base) * 1000},
            "added_ms": median(diffs),
            "ratio": median(ratios),
        }
    )


if __name__ == "__main__":
    main()
