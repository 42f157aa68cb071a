"""Reading what `cdk synth` writes: templates, assets, and the intrinsic functions in them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def synthesize(app: Path, outdir: Path, *, extra_context: Mapping[str, Any] | None = None) -> Path:
    """Run a CDK app as the CLI does: context from cdk.json, output to ``outdir``."""
    context = json.loads((REPO / "cdk.json").read_text()).get("context", {})
    context.update(extra_context or {})
    environment = {**os.environ, "CDK_OUTDIR": str(outdir), "CDK_CONTEXT_JSON": json.dumps(context)}
    done = subprocess.run([sys.executable, str(app)], cwd=REPO, env=environment, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"synthesizing {app.name} failed:\n{done.stderr[-3000:]}")
    return outdir


@dataclass
class StackArtifact:
    """One synthesized stack: its template and the assets it references."""

    directory: Path
    template: dict[str, Any]
    assets: dict[str, Any]

    @classmethod
    def load(cls, assembly: Path, stack_name: str) -> StackArtifact:
        template = json.loads((assembly / f"{stack_name}.template.json").read_text())
        assets = json.loads((assembly / f"{stack_name}.assets.json").read_text())
        return cls(assembly, template, assets)

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.template["Resources"])

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {key: value for key, value in self.resources.items() if value["Type"] == resource_type}

    def custom_resources(self) -> dict[str, dict[str, Any]]:
        return {key: value for key, value in self.resources.items() if value["Type"].startswith("Custom::")}

    def service_function(self, custom_resource: Mapping[str, Any]) -> str:
        """The logical id of the Lambda function behind a custom resource's ServiceToken."""
        token = custom_resource["Properties"]["ServiceToken"]
        logical_id, attribute = token["Fn::GetAtt"]
        assert attribute == "Arn" and self.resources[logical_id]["Type"] == "AWS::Lambda::Function"
        return str(logical_id)

    def asset_directory(self, function_logical_id: str) -> Path:
        """The function's code as the cloud assembly holds it (not the source tree)."""
        key = self.resources[function_logical_id]["Properties"]["Code"]["S3Key"]
        asset_hash = key.removesuffix(".zip")
        source = self.assets["files"][asset_hash]["source"]
        assert source["packaging"] == "zip"
        relative_path: str = source["path"]
        return self.directory / relative_path

    def role_policies(self, role_logical_id: str) -> list[dict[str, Any]]:
        """Every policy document attached to a role: inline ones and AWS::IAM::Policy resources."""
        documents = [p["PolicyDocument"] for p in self.resources[role_logical_id]["Properties"].get("Policies", [])]
        for resource in self.of_type("AWS::IAM::Policy").values():
            if {"Ref": role_logical_id} in resource["Properties"].get("Roles", []):
                documents.append(resource["Properties"]["PolicyDocument"])
        return documents


@dataclass
class Resolver:
    """Resolves Ref, Fn::GetAtt, Fn::Join, Fn::Select, Fn::Split and Fn::Sub against known values."""

    parameters: dict[str, Any]
    refs: dict[str, Any] = field(default_factory=dict)
    attributes: dict[tuple[str, str], Any] = field(default_factory=dict)
    region: str = "us-east-1"
    account: str = "123456789012"

    def __post_init__(self) -> None:
        self.pseudo = {
            "AWS::Partition": "aws",
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": None,
        }

    def ref(self, name: str) -> Any:
        for table in (self.pseudo, self.parameters, self.refs):
            if name in table:
                return table[name]
        raise KeyError(f"Ref {name}: no value known (create the resource or give the parameter)")

    def get_att(self, logical_id: str, attribute: str) -> Any:
        try:
            return self.attributes[(logical_id, attribute)]
        except KeyError:
            raise KeyError(f"Fn::GetAtt {logical_id}.{attribute}: no value known") from None

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            [(key, argument)] = value.items()
            handler: Callable[[Any], Any] | None = {
                "Ref": lambda a: self.ref(a),
                "Fn::GetAtt": lambda a: self.get_att(*(a.split(".", 1) if isinstance(a, str) else a)),
                "Fn::Join": lambda a: a[0].join(str(part) for part in self.resolve(a[1])),
                "Fn::Select": lambda a: self.resolve(a[1])[int(self.resolve(a[0]))],
                "Fn::Split": lambda a: str(self.resolve(a[1])).split(a[0]),
                "Fn::Sub": self._sub,
            }.get(key)
            if handler is not None:
                return handler(argument)
        return {key: self.resolve(item) for key, item in value.items()}

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], self.resolve(argument[1]))

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name:
                return str(self.get_att(*name.split(".", 1)))
            return str(self.ref(name))

        return re.sub(r"\$\{([^!}][^}]*)\}", substitute, text)
