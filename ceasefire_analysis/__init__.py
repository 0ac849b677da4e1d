"""ceasefire_analysis: the performance-management cycle of a Ceasefire / GVI partnership."""
import sys
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ceasefire_analysis")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

# jsonschema (which nbformat imports to validate notebooks) imports rfc3987_syntax, when installed (JupyterLab's
# dependencies bring it), only to check the "iri" string format, and that builds a Lark grammar on import: about
# 1 s of CPU and 15 MiB in every process that reads a notebook (each `ceasefire` command). Neither nbformat's
# validation nor this package checks that format; jsonschema treats the module as absent (its own fallback).
if "rfc3987_syntax" not in sys.modules and "jsonschema" not in sys.modules:
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
