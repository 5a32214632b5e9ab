"""The bundled copy of the ``holidays`` package's CN calendar (titlerules.calendar._cn_data).

It is what the package says, year by year and in both languages, for the version it names;
it is used only when that version is installed, and the version is read as the package
itself reads it.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest

from titlerules.calendar import _cn_data, workdays
from titlerules.calendar._snapshot import snapshot_source
from titlerules.calendar.overrides import FIRST_YEAR, LAST_YEAR


def test_the_installed_version_is_read_as_the_package_reads_it() -> None:
    assert workdays.holidays_version() == importlib.metadata.version("holidays")
    assert workdays.HOLIDAYS_VERSION == workdays.holidays_version()


def test_the_snapshot_is_the_installed_packages_calendar() -> None:
    if _cn_data.HOLIDAYS_VERSION != workdays.holidays_version():
        # Another version installed: the package is read, never the stale copy.
        assert workdays._snapshot() is None
        pytest.fail(
            f"_cn_data.py is of holidays {_cn_data.HOLIDAYS_VERSION}, the installed one is "
            f"{workdays.holidays_version()}: run 'python -m titlerules.calendar._snapshot'"
        )
    assert workdays._snapshot() is _cn_data
    assert workdays.package_official_years() == workdays.official_years_of_package()
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        for language in workdays.LANGUAGES:
            expected = workdays._package_year_from_package(year, language)
            assert workdays._package_year(year, language) == expected, (year, language)


def test_the_snapshot_file_is_what_the_generator_writes() -> None:
    if _cn_data.HOLIDAYS_VERSION != workdays.holidays_version():
        pytest.fail("_cn_data.py is of another holidays version (see the test above)")
    assert Path(_cn_data.__file__).read_text(encoding="utf-8") == snapshot_source()


def test_another_installed_version_reads_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_cn_data, "HOLIDAYS_VERSION", "0.0-not-installed")
    workdays._package_year.cache_clear()
    try:
        assert workdays._snapshot() is None
        year = workdays._package_year(2024, "zh_CN")
        assert year == workdays._package_year_from_package(2024, "zh_CN")
    finally:
        workdays._package_year.cache_clear()


def test_a_working_day_count_does_not_import_the_package() -> None:
    import subprocess
    import sys

    code = (
        "import sys, datetime as dt\n"
        "from titlerules.calendar import default_calendar\n"
        "c = default_calendar()\n"
        "assert c.working_days_between(dt.date(2024, 9, 30), dt.date(2024, 10, 14)) == 7\n"
        "print(c.data_version)\n"
        "print('holidays' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    version, imported = done.stdout.split()
    assert imported == "False"
    first, last = workdays.package_official_years()
    assert version == (
        f"holidays-{workdays.holidays_version()};official={first}-{last};overrides=none"
    )
