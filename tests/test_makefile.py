"""The Makefile installs what README's "Two commands" says it does."""

from __future__ import annotations

import platform
import subprocess

from tests.library_fixtures import REPO_ROOT


def install_commands(*overrides: str) -> list[str]:
    """What `make` would run to create .venv from nothing (printed, not run)."""
    made = subprocess.run(
        ["make", "-n", "-B", "-C", str(REPO_ROOT), ".venv/.installed", *overrides],
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in made.stdout.splitlines() if "pip install" in line]


def test_make_installs_torchs_cpu_build_not_pypis_cuda_one() -> None:
    """PyPI's Linux torch wheel pulls gigabytes of CUDA; README promises the CPU build."""
    [torch] = [line for line in install_commands() if "torch" in line]
    if platform.system() == "Linux":
        assert '"torch==2.13.0+cpu"' in torch
        assert "--extra-index-url https://download.pytorch.org/whl/cpu" in torch
        [offline] = [line for line in install_commands("TORCH_INDEX=") if "torch" in line]
        assert "index-url" not in offline and '"torch==2.13.0+cpu"' in offline
    else:  # macOS: PyPI's wheels are CPU-only
        assert '"torch==2.13.0"' in torch and "index-url" not in torch
    # then the app, whose torch==2.13.0 the CPU build already satisfies
    assert install_commands()[-1].endswith('pip install -e ".[dev,postgres]"')
