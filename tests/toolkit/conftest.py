"""Make pytest's ``pytester`` fixture available to the toolkit tests.

``pytest_plugins`` is refused in a non-root conftest, so the plugin is registered here when
this conftest loads; ``-p pytester`` in ``[tool.pytest.ini_options] addopts`` makes this a no-op.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")
