"""Label selectors as `labels.Parse` reads them (k8s.io/apimachinery/pkg/labels/selector.go:
Parse, Requirement.Matches), for ingress-nginx's --watch-namespace-selector."""

from __future__ import annotations

import pytest

from mtls_tui.policy.label_selector import from_label_selector, parse_selector


@pytest.mark.parametrize(
    ("text", "labels", "matches"),
    [
        ("team=payments", {"team": "payments"}, True),
        ("team==payments", {"team": "payments"}, True),
        ("team=payments", {"team": "shop"}, False),
        ("team=payments", {}, False),
        ("team!=payments", {}, True),  # Matches: `!=` holds for an absent label
        ("team!=payments", {"team": "payments"}, False),
        ("team in (payments, shop)", {"team": "shop"}, True),
        ("team notin (payments,shop)", {}, True),  # and so does `notin`
        ("team notin (payments,shop)", {"team": "shop"}, False),
        ("team", {"team": ""}, True),
        ("!legacy", {"legacy": "yes"}, False),
        ("!legacy", {}, True),
        ("env,team=payments", {"team": "payments"}, False),  # every requirement must hold
        ("tier>2", {"tier": "3"}, True),
        ("tier<2", {"tier": "x"}, False),  # gt/lt parse the label as an integer, else no match
        ("", {"any": "thing"}, True),  # the empty selector matches everything
        ("team in ()", {"team": ""}, True),  # parseValues: "()" is the set {""}
        ("team in ()", {}, False),
        ("kubernetes.io/metadata.name=payments", {"kubernetes.io/metadata.name": "payments"}, True),
    ],
)
def test_matches(text: str, labels: dict[str, str], matches: bool) -> None:
    selector = parse_selector(text)
    assert selector is not None and selector.matches(labels) is matches


@pytest.mark.parametrize("text", ["team in (", "bad key=1", "team=(x", "tier>two", "=payments", "team=-bad-"])
def test_refused(text: str) -> None:
    """selector.go Parse returns an error: the controller does not start (pkg/flags/flags.go)."""
    assert parse_selector(text) is None


@pytest.mark.parametrize(
    ("match_labels", "match_expressions", "labels", "matches"),
    [
        ({"mtls": "on"}, None, {"mtls": "on", "x": "y"}, True),
        ({"mtls": "on"}, None, {"mtls": "off"}, False),
        (None, [{"key": "mtls", "operator": "In", "values": ["on", "yes"]}], {"mtls": "yes"}, True),
        (None, [{"key": "mtls", "operator": "NotIn", "values": ["on"]}], {}, True),  # absent label: NotIn holds
        (None, [{"key": "mtls", "operator": "Exists"}], {"mtls": ""}, True),
        (None, [{"key": "mtls", "operator": "DoesNotExist"}], {"mtls": "on"}, False),
        ({"a": "1"}, [{"key": "b", "operator": "Exists"}], {"a": "1"}, False),  # ANDed
        (None, None, {"any": "thing"}, True),  # empty LabelSelector: labels.Everything()
    ],
)
def test_label_selector_objects(match_labels, match_expressions, labels, matches) -> None:
    """metav1.LabelSelector as LabelSelectorAsSelector builds it (k8s.io/apimachinery/pkg/apis/meta/v1/
    helpers.go), for Envoy Gateway's targetSelectors (helpers.go selectorFromTargetSelector)."""
    selector = from_label_selector(match_labels, match_expressions)
    assert selector is not None and selector.matches(labels) is matches


@pytest.mark.parametrize(
    ("match_labels", "match_expressions"),
    [
        (None, [{"key": "mtls", "operator": "In", "values": []}]),  # In/NotIn need values
        (None, [{"key": "mtls", "operator": "Exists", "values": ["on"]}]),  # Exists takes none
        (None, [{"key": "mtls", "operator": "Equals", "values": ["on"]}]),  # not a LabelSelectorOperator
        ({"bad key!": "on"}, None),
        ({"mtls": "-on"}, None),  # a label value must start alphanumeric
        ("mtls=on", None),
    ],
)
def test_label_selector_objects_refused(match_labels, match_expressions) -> None:
    """LabelSelectorAsSelector returns an error: None (Envoy Gateway then selects nothing)."""
    assert from_label_selector(match_labels, match_expressions) is None
