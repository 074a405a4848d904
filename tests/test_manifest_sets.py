"""Manifest sets as platform teams have them (issue 13): no size limit, documents read one at
a time (a broken one is reported with its file and line, the others judged), JSON and YAML
read alike, and the reader's values are PyYAML's own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mtls_tui.documents import documents, yaml_documents
from mtls_tui.errors import InputError
from mtls_tui.lab.objects import controller_objects, meow_ingress
from mtls_tui.lab.pki import SeedPki, secret_manifest
from tests.test_hostile_certs import one_line, run_cli, run_main
from tests.test_hostile_readers import billion_laughs

PREFIX = "nginx.ingress.kubernetes.io/"


def estate(pki: SeedPki) -> list[dict[str, Any]]:
    """The controller, the seed's Secret, meow.com with mTLS (works) and purr.com, whose Secret
    default/purr-certs is not among them (unverified): no error finding."""
    purr = meow_ingress({PREFIX + "auth-tls-secret": "default/purr-certs"}, name="purr", host="purr.com")
    purr["spec"]["tls"][0]["secretName"] = "purr-certs"
    return [*controller_objects(), secret_manifest(pki), meow_ingress(), purr]


EXPECTED = {"meow.com": "works", "purr.com": "unverified"}


def states(report: dict[str, Any]) -> dict[str, str]:
    return {host["host"]: host["state"] for host in report["hosts"]}


def check_json(*paths: Path) -> tuple[int, dict[str, Any]]:
    code, out, err = run_main("check", "--manifests", *map(str, paths), "--no-probe", "--json")
    assert err == "", err
    return code, json.loads(out)


# --- size ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["yaml", "json"])
def test_a_20_mb_manifest_set_is_accepted(tmp_path: Path, pki: SeedPki, form: str) -> None:
    """A certificate or key file stops at 10 MiB; a set of manifests has no limit but memory
    (dashboards in ConfigMaps make a `helm template` of an estate this large)."""
    dashboards = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"dashboard-{n}", "namespace": "monitoring"},
            "data": {"dashboard.json": '{"panels": []}' + " " * 50_000},
        }
        for n in range(420)
    ]
    objects = [*estate(pki), *dashboards]
    path = tmp_path / f"estate.{form}"
    path.write_text(
        yaml.safe_dump_all(objects)
        if form == "yaml"
        else json.dumps({"apiVersion": "v1", "kind": "List", "items": objects})
    )
    assert path.stat().st_size > 20 * 2**20
    code, report = check_json(path)
    assert states(report) == EXPECTED
    assert code == 0 and not [f for f in report["findings"] if f["code"] == "input-unreadable"]


# --- one broken document ------------------------------------------------------------------------


def test_a_broken_document_is_reported_with_its_line_and_the_rest_is_checked(tmp_path: Path, pki: SeedPki) -> None:
    """The broken document is purr.com's Secret: the host is judged without it (unverified)."""
    *before, purr = estate(pki)
    text = (
        yaml.safe_dump_all(before)
        + "---\napiVersion: v1\nkind: Secret\nmetadata: {name: [purr-certs\n---\n"
        + yaml.safe_dump(purr)
    )
    path = tmp_path / "set.yaml"
    path.write_text(text)
    first = text[: text.index("metadata: {name: [purr-certs")].count("\n") - 2  # the `---` line that starts it
    code, report = check_json(path)
    assert code == 1 and states(report) == EXPECTED
    unreadable = [f for f in report["findings"] if f["code"] == "input-unreadable"]
    assert [f["subject"] for f in unreadable] == [f"{path}:{first + 3}"]
    assert unreadable[0]["fix"].startswith(f"sed -n '{first},{first + 3}p' {path}")
    code, out, err = run_main("check", "--manifests", str(path), "--no-probe")
    assert code == 1 and f"{path}:{first + 3}: is not valid YAML" in out and "meow.com" in out and err == ""


def test_a_broken_file_among_good_ones_is_reported_and_the_others_are_checked(tmp_path: Path, pki: SeedPki) -> None:
    (tmp_path / "a-estate.yaml").write_text(yaml.safe_dump_all(estate(pki)))
    (tmp_path / "b-broken.json").write_text('{"apiVersion": "v1",\n "kind": "List",\n "items": [}\n')
    code, report = check_json(tmp_path)
    assert code == 1 and states(report) == EXPECTED
    assert [f["subject"] for f in report["findings"] if f["code"] == "input-unreadable"] == [
        f"{tmp_path / 'b-broken.json'}:3"
    ]


def test_a_secret_that_does_not_decode_is_refused_and_the_others_are_checked(tmp_path: Path, pki: SeedPki) -> None:
    """A Secret whose `data` value is not base64 stopped the whole check (exit 2, one line naming the
    Secret). kube-apiserver answers that object alone with 400 (it does not decode): it never exists,
    so its hosts get secret-refused-by-api, and every other host is still judged."""
    bad = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "purr-certs", "namespace": "default"},
        "data": {"ca.crt": "not base64 at all!!"},
    }
    (tmp_path / "estate.yaml").write_text(yaml.safe_dump_all([*estate(pki), bad]))
    code, report = check_json(tmp_path)
    assert code == 1 and states(report) == {"meow.com": "works", "purr.com": "broken"}
    [purr] = [h for h in report["hosts"] if h["host"] == "purr.com"]
    refused = [f for f in purr["findings"] if f["code"] == "secret-refused-by-api"]
    assert refused and "Secret default/purr-certs, key ca.crt" in refused[0]["evidence"][0], purr["findings"]


def test_an_alias_bomb_refuses_its_document_only(tmp_path: Path, pki: SeedPki) -> None:
    path = tmp_path / "set.yaml"
    path.write_text(billion_laughs("ConfigMap") + "---\n" + yaml.safe_dump_all(estate(pki)))
    code, report = check_json(path)
    assert code == 1 and states(report) == EXPECTED
    [bomb] = [f for f in report["findings"] if f["code"] == "input-unreadable"]
    assert "aliases expand it by more than 100,000 nodes" in bomb["title"] and bomb["subject"].startswith(f"{path}:")


def test_a_set_with_nothing_readable_cannot_run(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("kind: Ingress\nmetadata: {name: [one\n---\nkind: Secret\nmetadata: {name: [two\n")
    one_line(
        run_cli("check", "--manifests", str(path), "--no-probe"),
        f"{path}:2: is not valid YAML",
        "(and 1 more unreadable document)",
    )


# --- JSON and YAML alike ------------------------------------------------------------------------


def test_json_and_yaml_of_the_same_objects_give_the_same_report(tmp_path: Path, pki: SeedPki) -> None:
    """As `kubectl get -o yaml` and `-o json` write a List, as a stream of documents, and as a
    folder of one file per object, JSON and YAML in turn."""
    objects = estate(pki) + [
        meow_ingress(
            {
                PREFIX + "auth-tls-secret": "default/my-certs",
                PREFIX + "auth-tls-verify-depth": "2",
                PREFIX + "auth-tls-verify-client": "optional",
                PREFIX + "auth-tls-match-cn": "CN=Fern",
            },
            name="hiss",
            host="hiss.com",
        )
    ]
    listed = {"apiVersion": "v1", "kind": "List", "items": objects}
    folder = tmp_path / "one-per-file"
    folder.mkdir()
    for index, obj in enumerate(objects):
        (folder / f"{index:02}.{'json' if index % 2 else 'yaml'}").write_text(
            json.dumps(obj) if index % 2 else yaml.safe_dump(obj)
        )
    forms = {
        "list.yaml": yaml.safe_dump(listed),
        "list.json": json.dumps(listed, indent=4),
        "documents.yaml": yaml.safe_dump_all(objects),
    }
    for name, text in forms.items():
        (tmp_path / name).write_text(text)
    reports = [check_json(path) for path in [tmp_path / name for name in forms] + [folder]]
    reports = [(code, {**report, "source": None}) for code, report in reports]
    assert len(reports[0][1]["hosts"]) == 3 and all(report == reports[0] for report in reports[1:])


# --- the reader's values are PyYAML's ----------------------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.dates(),
    st.sampled_from(
        ["on", "off", "yes", "~", "0x1f", "0o17", "1_000", "1:30", ".inf", "2026-01-01", "<<", "=", "-", "", "null"]
    ),
    st.text(max_size=20),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(VALUES, min_size=1, max_size=4), st.booleans(), st.booleans())
def test_documents_are_read_as_pyyaml_reads_them(values: list[Any], flow: bool, shared: bool) -> None:
    """Dumped by PyYAML (anchors and aliases where an object is shared), read by both."""
    if shared:
        values = [[value, value] for value in values]  # the second is written as an alias
    text = yaml.safe_dump_all(values, default_flow_style=flow, allow_unicode=True).encode()
    assert yaml_documents(text, "v.yaml") == list(
        yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    )


@pytest.mark.parametrize(
    "text",
    [
        "base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n",
        "l: [&a {k: 1}, &b {k: 2, j: 3}]\nm:\n  <<: [*a, *b]\n  z: 0\n",
        "=: 1\nb: !!binary aGVsbG8=\nc: !!set {x, y}\nd: !!omap [{x: 1}, {y: 2}]\ne: ! 12\nf: !!str 12\n",
        "a: on\nb: 0x1f\nc: 1:30\nd: 2001-12-14t21:59:43.10-05:00\ne: '12'\n",
        "%YAML 1.1\n---\na: 1\n...\n%YAML 1.1\n---\nb: 2\n",
        "--- a\n--- b\n...\n--- |\n  c\n",
        '{"a": [1, 2.5, null, true], "b": {"c": "d"}}',
    ],
)
def test_yaml_constructs_read_as_pyyaml_reads_them(text: str) -> None:
    assert yaml_documents(text.encode(), "c.yaml") == list(yaml.safe_load_all(text))


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("a: <<\n", 1, "tag:yaml.org,2002:merge"),
        ("a: !foo 1\n", 1, "could not determine a constructor for the tag '!foo'"),
        ("obj: !!python/object/apply:os.system ['true']\n", 1, "could not determine a constructor"),
        ("a: 1\nb:\n  <<: 1\n", 3, "expected a mapping or list of mappings for merging"),
        ("x: 1\n? [a]\n: 1\n", 2, "found unhashable key"),
        ("a: &x 1\nb: &x 2\n", 2, "found duplicate anchor"),
        ("a:\n  - 1\n  - *nowhere\n", 3, "found undefined alias 'nowhere'"),
        ("a: 1\nb: &x\n  c: [*x]\n", 3, "refers to a node that contains it"),
        ("a:\n" + "  " + "[" * 200 + "]" * 200 + "\n", 2, "nests deeper than 200 levels"),
    ],
)
def test_what_pyyaml_refuses_is_refused_with_its_line(text: str, line: int, words: str) -> None:
    with pytest.raises(InputError) as refused:
        yaml_documents(text.encode(), "r.yaml")
    assert refused.value.where == f"r.yaml:{line}" and words in refused.value.problem, refused.value


def test_aliases_within_the_bound_are_kept_and_beyond_it_refused() -> None:
    """Nine aliases of an anchor of 10,000 nodes add 90,000 (within 100,000); eleven add 110,000."""
    anchor = "base: &b [" + ", ".join(["x"] * 9_999) + "]\n"
    within = (anchor + "copies: [" + ", ".join(["*b"] * 9) + "]\n").encode()
    assert len(yaml_documents(within, "w.yaml")[0]["copies"]) == 9
    with pytest.raises(InputError, match="aliases expand it by more than 100,000 nodes"):
        yaml_documents((anchor + "copies: [" + ", ".join(["*b"] * 11) + "]\n").encode(), "b.yaml")


def test_each_document_of_a_stream_is_read_on_its_own() -> None:
    text = b"a: 1\n---\nb: [\n---\n# a comment\nc: 3\n...\n---\nd: 4\n"
    read = list(documents(text, "s.yaml"))
    assert [d.value for d in read] == [{"a": 1}, None, {"c": 3}, {"d": 4}]
    assert read[1].error is not None and read[1].error.where == "s.yaml:3" and read[1].lines == (2, 3)


def test_compact_json_is_the_text_of_one_dumps(capsys: pytest.CaptureFixture[str]) -> None:
    """`--json` piped is written a list item at a time; a script must get json.dumps's text."""
    from mtls_tui.commands import print_json

    document = {
        "command": "check",
        "source": "manifests a\u00e9\u2028.yaml",
        "hosts": [{"host": "x", "findings": [1, {"a": None}]}, {}],
        "findings": [],
        "notes": ["\x1b[31m"],
        "count": 2,
        "nested": {"list": [1, 2]},
    }
    print_json(document)
    assert capsys.readouterr().out == json.dumps(document) + "\n"


def test_a_lists_objects_are_handed_out_as_they_are_read() -> None:
    """`kubectl get -A -o yaml` is one List: its objects come one at a time, so each can be
    freed before the next is built; anything else about the document stays as it was."""
    text = (
        b"apiVersion: v1\nitems:\n- {kind: Secret, n: 1}\n- {kind: Ingress, n: 2, items: [x]}\nkind: List\n"
        b"---\nkind: ConfigMap\ndata: {items: [a, b]}\n---\nitems: &shared [c]\nalso: *shared\n"
    )
    read = [(d.item, d.value) for d in documents(text, "l.yaml", items=True)]
    assert read == [
        (True, {"kind": "Secret", "n": 1}),
        (True, {"kind": "Ingress", "n": 2, "items": ["x"]}),
        (False, {"apiVersion": "v1", "items": [], "kind": "List"}),
        (False, {"kind": "ConfigMap", "data": {"items": ["a", "b"]}}),
        (False, {"items": ["c"], "also": ["c"]}),
    ]
    assert [d.value for d in documents(text, "l.yaml")] == list(yaml.safe_load_all(text))


def test_a_document_with_an_items_list_is_a_list_whatever_its_kind(tmp_path: Path, pki: SeedPki) -> None:
    """As kubectl decodes it: by the `items` field, not by the kind."""
    path = tmp_path / "wrapped.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "Wrapper", "items": estate(pki)}))
    assert states(check_json(path)[1]) == EXPECTED


async def test_the_screen_says_which_document_it_could_not_read_and_shows_the_rest(
    tmp_path: Path, pki: SeedPki
) -> None:
    from mtls_tui.service.session import Session
    from mtls_tui.tui.app import MtlsApp

    path = tmp_path / "set.yaml"
    path.write_text("kind: Secret\nmetadata: {name: [purr-certs\n---\n" + yaml.safe_dump_all(estate(pki)))
    app = MtlsApp(Session(manifests=[str(path)]))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.2)
        await app.workers.wait_for_complete()
        await pilot.pause(0.2)
        assert sorted(r.host for r in app.controller.reports) == ["meow.com", "purr.com"]
        assert [n.message for n in app._notifications] == [
            f"{path}:2: is not valid YAML (while parsing a flow sequence: did not find expected ',' or ']')"
        ]
