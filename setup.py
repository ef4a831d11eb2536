"""Packaging glue: the top-level plugin folders install under the `seabench.` namespace.

`tasks/`, `models/`, `judges/`, `leaderboard/` and `rubrics/` would clash with other
distributions' top-level packages of the same names, so they ship as `seabench.tasks` etc.
pyproject.toml cannot enumerate their subpackages dynamically, hence this file.
"""

from setuptools import find_packages, setup

NAMESPACE = {
    "seabench": "seabench",
    "seabench.tasks": "tasks",
    "seabench.models": "models",
    "seabench.judges": "judges",
    "seabench.leaderboard": "leaderboard",
    "seabench.rubrics": "rubrics",
}
DATA = ["*.json", "*.jsonl", "*.yaml", "*.j2", "*.html", "*.css", "*.js", "*.txt", "SHA256SUMS",
        "*.flac", "*.safetensors", "**/*.json", "**/*.jsonl", "**/*.flac", "**/*.txt", "**/*.safetensors",
        "**/SHA256SUMS", "**/*.j2", "**/*.yaml"]

packages: list[str] = []
package_dir: dict[str, str] = {}
for name, folder in NAMESPACE.items():
    package_dir[name] = folder
    packages.append(name)
    packages += [f"{name}.{sub}" for sub in find_packages(folder)]

setup(packages=packages, package_dir=package_dir, package_data={name: DATA for name in packages})
