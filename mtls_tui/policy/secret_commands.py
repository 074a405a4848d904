"""The kubectl commands that read a Secret's key and write a Secret again, for fixes.

Every fix that touches a Secret builds its command here, so they all quote names the
same way, write the same file names (the seed's), and pass through `--dry-run=client -o
yaml | kubectl apply -f -`: that form creates the Secret or replaces it, where `kubectl
create secret` alone fails on an existing one.
"""

from __future__ import annotations

import json

from mtls_tui.shell import arg, pipefail

# The seed's file for each Secret key: what `--from-file` reads when the Secret is written again.
SECRET_KEY_FILES = {"ca.crt": "ca.crt", "tls.crt": "server.crt", "tls.key": "server.key", "ca.crl": "ca.crl"}
SEED_SECRET_KEYS = ("ca.crt", "tls.crt", "tls.key")  # the seed's Secret: the server's keypair and the CA


def jsonpath_data(key: str) -> str:
    """kubectl's JSONPath to a Secret's key: dots escaped."""
    return "{.data." + key.replace(".", "\\.") + "}"


def read_key_command(ref: str, key: str) -> str:
    """Prints one key of the Secret `namespace/name`, decoded, as one command: kubectl's
    go-template decodes it (its `base64decode`), so a Secret that cannot be read fails the
    command, where `kubectl get … | base64 -d` exits 0 with nothing and the chain after it
    goes on. (A missing key prints nothing: a template error would print the whole Secret,
    its tls.key too.)"""
    namespace, _, name = ref.partition("/")
    template = "{{with index .data " + json.dumps(key) + "}}{{base64decode .}}{{end}}"
    return f"kubectl get secret {arg(name)} -n {arg(namespace)} -o go-template={arg(template)}"


def _apply(ref: str, kind: str, options: str) -> str:
    namespace, _, name = ref.partition("/")
    return f"kubectl create secret {kind} {arg(name)} -n {arg(namespace)} {options} --dry-run=client -o yaml | kubectl apply -f -"


def _typed_apply(ref: str, options: str) -> str:
    """`_apply` of a generic Secret that keeps the `type` the Secret has in the cluster: a Secret's
    type is immutable (kubernetes pkg/apis/core/validation/validation.go ValidateSecretUpdate:
    `type: Invalid value: "Opaque": field is immutable`), and `kubectl apply` of a generic Secret
    deletes the type its last-applied annotation holds, so a kubernetes.io/tls Secret applied from a
    manifest would be refused. No Secret yet: `--type=` empty, the object written has no type, and
    the API server makes it Opaque. (A read that fails leaves the command as it was before the
    type was kept: the apply after it needs the same access.)"""
    namespace, _, name = ref.partition("/")
    read = f"kubectl get secret {arg(name)} -n {arg(namespace)} --ignore-not-found -o jsonpath={arg('{.type}')}"
    # unquoted: a type has no space or glob character, and shell.fold_command may break a long fix at the
    # spaces inside `$(…)`, never inside "…" (a quoted read was one unbreakable word, cut on screen at 80 columns)
    return _apply(ref, "generic", f"--type=$({read}) {options}")


def secret_update_command(ref: str, *, keys: tuple[str, ...] = SEED_SECRET_KEYS, crl: bool = False) -> str:
    """Writes the Secret again from the local files, with exactly the keys it holds: a CA-only
    Secret must not gain tls.crt (the controller would then trust the server's certificate for
    clients too: ConfigureCACertWithCertAndKey writes it into the CA file)."""
    wanted = [k for k in ("tls.crt", "tls.key", "ca.crt") if k in keys] + (
        ["ca.crl"] if crl or "ca.crl" in keys else []
    )
    # a key with no local file (ca.pem, or any bytes a manifest holds) is saved from the Secret first
    # and written back under its name, quoted: dropped, it would be lost, and a Secret holding no key
    # of the seed's would be written empty (kubectl refuses a key name it does not allow: nothing written)
    own = [k for k in keys if k not in SECRET_KEY_FILES]
    name = ref.partition("/")[2]
    saved = "".join(f"{_saved(ref, k, arg(f'{name}-{k}'))} && " for k in own)
    files = [f"--from-file={k}={SECRET_KEY_FILES[k]}" for k in wanted]
    files += ["--from-file=" + arg(f"{k}={name}-{k}") for k in own]
    return saved + _typed_apply(ref, " ".join(files))


def tls_secret_command(ref: str) -> str:
    """Writes a `tls:` Secret (type kubernetes.io/tls) from the server's keypair."""
    return _apply(ref, "tls", f"--cert={SECRET_KEY_FILES['tls.crt']} --key={SECRET_KEY_FILES['tls.key']}")


def add_ca_command(ref: str, ca_file: str = "ca.crt", from_key: str | None = None, to_key: str = "ca.crt") -> str:
    """Adds ca.crt (or `to_key`) to an existing Secret, keeping its other keys: needs no server files.
    With `from_key`, the CA the Secret already holds under another name (CA.crt, ca.pem, …) is copied."""
    namespace, _, name = ref.partition("/")
    source = (  # read into a variable first: a failed read inside the patch's argument would patch ca.crt empty
        f"kubectl get secret {arg(name)} -n {arg(namespace)} -o jsonpath={arg(jsonpath_data(from_key))}"
        if from_key
        else f"openssl base64 -A -in {arg(ca_file)}"  # one line, on macOS too (its base64 has no -w0)
    )
    # the key JSON-escaped inside single quotes, "$ca" alone expanded: a key of a manifest's own
    # (any bytes: only the API server refuses them) stays one JSON string and one shell word
    patch = arg('{"data":{' + json.dumps(to_key) + ':"') + '"$ca"' + arg('"}}')
    return f"ca=$({source}) && kubectl patch secret {arg(name)} -n {arg(namespace)} --type merge -p {patch}"


def resigned_ca_command(ref: str, days: int) -> str:
    """Gives the Secret's one CA a positive serial number: the CA is signed again by its own key
    (`openssl x509 -signkey` keeps its name, key and extensions), so every certificate it issued
    still verifies, and it replaces ca.crt. The key never leaves the user's folder."""
    resign = f"openssl x509 -signkey ca.key -set_serial 0x$(openssl rand -hex 15) -days {days} -out ca-positive.crt"
    read = read_key_command(ref, "ca.crt")
    return (
        f"{pipefail(f'{read} | {resign}')} && {add_ca_command(ref, 'ca-positive.crt')}"
        "  # run it where the CA's key ca.key is; then keep ca-positive.crt as the CA's certificate"
    )


def ca_only_command(ref: str, from_key: str) -> str:
    """Makes the Secret again as a generic one holding only ca.crt, from the CA certificate its
    `from_key` holds: a kubernetes.io/tls Secret cannot lose tls.key (the API server requires it,
    and a type cannot change in place), so it is saved, deleted and created again. The copy is
    written beside, never over the user's ca.crt, and must not be empty."""
    namespace, _, name = ref.partition("/")
    local = arg(f"{name}-ca.crt")
    return f"{_saved(ref, from_key, local)} && kubectl delete secret {arg(name)} -n {arg(namespace)} && " + _apply(
        ref, "generic", f"--from-file=ca.crt={local}"
    )


def ca_copy_command(ref: str, to_name: str) -> str:
    """Copies the Secret's ca.crt into a Secret `to_name` of its namespace holding ca.crt alone,
    leaving the original as it is (others may serve from it)."""
    namespace, _, _ = ref.partition("/")
    local = arg(f"{to_name}.crt")
    return f"{_saved(ref, 'ca.crt', local)} && " + _apply(
        f"{namespace}/{to_name}", "generic", f"--from-file=ca.crt={local}"
    )


def _saved(ref: str, key: str, local: str) -> str:
    """The Secret's `key` written to the file `local` (quoted), which must not be empty."""
    return f"{read_key_command(ref, key)} > {local} && test -s {local}"


def typed_secret_command(
    ref: str, secret_type: str, keys: tuple[str, ...] = ("ca.crt",), files: dict[str, str] | None = None
) -> str:
    """Writes a Secret of a given `type` (F5's `nginx.org/ca`) from the local files (`files` names
    other ones than the usual, by key)."""
    named = {**SECRET_KEY_FILES, **(files or {})}
    options = " ".join("--from-file=" + arg(f"{k}={named[k]}") for k in keys)
    return _apply(ref, "generic", f"--type={arg(secret_type)} {options}")


def retype_secret_command(ref: str, secret_type: str, key: str = "ca.crt") -> str:
    """A Secret's `type` cannot change in place (the API server refuses the update), so it is
    saved, deleted and created again with the type, from its own `key`."""
    namespace, _, name = ref.partition("/")
    local = f"{name}-{SECRET_KEY_FILES[key]}"  # beside the user's own files, never over them
    return (
        f"{read_key_command(ref, key)} > {arg(local)} && kubectl delete secret {arg(name)} -n {arg(namespace)} && "
        f"kubectl create secret generic {arg(name)} -n {arg(namespace)} --type={arg(secret_type)} --from-file={key}={arg(local)}"
    )


def append_newline_command(kind: str, ref: str, key: str) -> str:
    """Ends the value of `key` in the Secret or ConfigMap `namespace/name` with a newline, keeping
    its other keys: the value is read to a local file (it must not be empty), a newline added, and
    written back (a Secret by a patch of that key; a ConfigMap by `kubectl apply` of that key, which
    leaves the keys it does not name)."""
    namespace, _, name = ref.partition("/")
    local = arg(f"{name}-{key}")
    if kind == "Secret":
        read = read_key_command(ref, key)
        write = add_ca_command(ref, f"{name}-{key}", to_key=key)
    else:
        template = "{{with index .data " + json.dumps(key) + "}}{{.}}{{end}}"
        read = f"kubectl get configmap {arg(name)} -n {arg(namespace)} -o go-template={arg(template)}"
        write = (
            f"kubectl create configmap {arg(name)} -n {arg(namespace)} --from-file={arg(f'{key}={name}-{key}')} "
            "--dry-run=client -o yaml | kubectl apply -f -"
        )
    return f"{read} > {local} && test -s {local} && echo >> {local} && {write}"
