"""Go's strconv.ParseBool: how Go controllers read a boolean flag, annotation or setting.

Here, not in one controller's module: ingress-nginx reads its flags, annotations and ConfigMap
with it (parser.GetBoolAnnotation, pflag), and F5 NGINX Ingress Controller its flags (Go's
`flag.Bool`, which calls strconv.ParseBool).
"""

from __future__ import annotations

GO_BOOLS = {
    "1": True,
    "t": True,
    "T": True,
    "TRUE": True,
    "true": True,
    "True": True,
    "0": False,
    "f": False,
    "F": False,
    "FALSE": False,
    "false": False,
    "False": False,
}
