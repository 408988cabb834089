"""The texforge release version: the one definition, shared by the wheel, the server and the extension.

pyproject.toml reads it (`[tool.setuptools.dynamic]`), so the wheel's metadata says the same;
`server/version.py` re-exports it for `hello` and `texforge --version`; the Blender extension
gets it through its vendored copy of this package, and packaging/build.py refuses to build when
addon/blender_manifest.toml's `version` differs. An editable install's metadata is frozen at
install time, so the running code reads this constant rather than `importlib.metadata`.
"""

__version__ = "0.1.0"
