"""`--cpu-report`: CPU-seconds (user + sys) per test and per module, printed at the end of the run.

Wall time is a poor measure on a machine other work also loads; CPU time is not. Each test is
charged the CPU of its whole protocol — setup (including any module- or session-scoped fixture it
is the first to ask for), call and teardown (including a module fixture's teardown after the
module's last test) — read with `resource.getrusage` for this process plus its children. Children
count only once waited for (a `subprocess.run`, or a server fixture that waits for its process at
teardown). Works serially and under pytest-xdist (each worker measures its own tests and sends the
figure with the teardown report). Collection (importing the test modules) is reported apart.

Enabled by conftest.py; `pytest --cpu-report [--cpu-report-top N]`.
"""

from __future__ import annotations

import resource
from collections import defaultdict

import pytest

from cli_forkserver import FORK_SERVER

_KEY = "cpu_seconds"


def cpu_seconds() -> float:
    """User + system CPU of this process and of its waited-for children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    forked = FORK_SERVER.cpu_seconds  # `run_cli`'s commands are the fork server's children
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime + forked


class CpuReport:
    def __init__(self, top: int):
        self.top = top
        self.started: dict[str, float] = {}
        self.per_test: dict[str, float] = {}
        self.collect_started = cpu_seconds()
        self.collection = 0.0

    @pytest.hookimpl(hookwrapper=True)
    def pytest_collection(self, session):
        started = cpu_seconds()
        yield
        self.collection = cpu_seconds() - started

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        self.started[item.nodeid] = cpu_seconds()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        if call.when == "teardown" and item.nodeid in self.started:
            spent = cpu_seconds() - self.started.pop(item.nodeid)
            outcome.get_result().user_properties.append((_KEY, spent))

    def pytest_runtest_logreport(self, report):
        if report.when != "teardown":
            return
        for key, value in report.user_properties:
            if key == _KEY:
                self.per_test[report.nodeid] = value

    def pytest_terminal_summary(self, terminalreporter):
        write = terminalreporter.write_line
        per_module: dict[str, float] = defaultdict(float)
        counts: dict[str, int] = defaultdict(int)
        for nodeid, spent in self.per_test.items():
            module = nodeid.split("::", 1)[0]
            per_module[module] += spent
            counts[module] += 1
        total = sum(self.per_test.values())
        terminalreporter.section("CPU seconds (user+sys, self+children)")
        write(f"tests: {total:8.1f} s over {len(self.per_test)} tests; "
              f"collection in this process: {self.collection:.1f} s")
        write("-- per module --")
        for module, spent in sorted(per_module.items(), key=lambda kv: -kv[1]):
            write(f"{spent:8.1f}  {counts[module]:4d}  {module}")
        write(f"-- top {self.top} tests --")
        for nodeid, spent in sorted(self.per_test.items(), key=lambda kv: -kv[1])[: self.top]:
            write(f"{spent:8.1f}  {nodeid}")


def pytest_addoption(parser):
    group = parser.getgroup("cpu-report")
    group.addoption("--cpu-report", action="store_true", default=False,
                    help="print CPU-seconds (user+sys, with children) per test and per module")
    group.addoption("--cpu-report-top", type=int, default=60,
                    help="how many of the costliest tests --cpu-report lists (default 60)")


def pytest_configure(config):
    if config.getoption("--cpu-report"):
        config.pluginmanager.register(CpuReport(config.getoption("--cpu-report-top")), "cpu-report-impl")
