"""deploy/grafana/sample-server.json queries only what the sample server really exports.

The exported names come from the code: a fresh `Metrics().render()`, read as Prometheus' text format
(a histogram `x` is the series x_bucket, x_sum and x_count), never from a list copied here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sample_server._metrics import Metrics

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "sample-server.json"

# Every identifier of PromQL that is not a metric name: the functions and keywords the dashboard may use.
PROMQL_WORDS = frozenset(
    "sum avg min max count stddev stdvar topk bottomk quantile count_values group by without on ignoring "
    "group_left group_right and or unless bool offset rate irate increase delta idelta deriv "
    "histogram_quantile clamp_min clamp_max abs ceil floor round label_values vector scalar time "
    "absent absent_over_time avg_over_time max_over_time min_over_time sum_over_time changes resets inf nan".split()
)
# Labels Prometheus adds to every scraped series, whatever the server exports.
TARGET_LABELS = frozenset({"instance", "job", "namespace", "pod"})
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_MATCHERS = re.compile(r"\{([^{}]*)\}")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring)\s*\(([^()]*)\)")
_IDENTIFIER = re.compile(r"(?<![\w$.])[A-Za-z_:][\w:]*")


def exported() -> dict[str, set[str]]:
    """Each series name the server exports, with the label names it carries."""
    metrics = Metrics()
    metrics.state = "Ready"
    series: dict[str, set[str]] = {}
    for line in metrics.render().splitlines():
        if line.startswith("#"):
            continue
        name, _, rest = line.partition("{")
        name = name.split(" ", 1)[0]
        labels = {pair.split("=", 1)[0] for pair in rest.split("}", 1)[0].split(",") if "=" in pair}
        series.setdefault(name, set()).update(labels)
    return series


def queries(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, PromQL) of every panel target and every query variable."""
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            yield f"panel {panel['title']!r} {target['refId']}", target["expr"]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            query = variable["query"]
            yield f"variable {variable['name']}", query["query"] if isinstance(query, dict) else query


def parse(expr: str) -> tuple[set[str], set[str]]:
    """The metric names and the label names an expression uses."""
    labels: set[str] = set()
    text = _STRING.sub('""', expr)
    text = re.sub(r"\$\{?\w+\}?", "", text)  # Grafana's $variables and $__rate_interval
    for block in _MATCHERS.findall(text):
        labels.update(m.group(1) for m in re.finditer(r"(\w+)\s*(?:=~|!~|!=|=)", block))
    text = _MATCHERS.sub(" ", text)
    for block in _GROUPING.findall(text):
        labels.update(word.strip() for word in block.split(",") if word.strip())
    text = _GROUPING.sub(" ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)  # range selectors
    # label_values(metric, label): its second argument is a label.
    for match in re.finditer(r"label_values\(\s*[\w:]+\s*,\s*(\w+)\s*\)", text):
        labels.add(match.group(1))
        text = text.replace(match.group(0), match.group(0).rsplit(",", 1)[0] + ")")
    names = {word for word in _IDENTIFIER.findall(text) if word not in PROMQL_WORDS}
    return names, labels


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return data


def test_the_parser_finds_metrics_and_labels() -> None:
    names, labels = parse(
        'histogram_quantile(0.99, sum by (le) (rate(x_seconds_bucket{instance=~"$instance", kind!="a,b"}'
        "[$__rate_interval]))) / on (job) up"
    )
    assert names == {"x_seconds_bucket", "up"}
    assert labels == {"le", "instance", "kind", "job"}
    assert parse("label_values(sample_server_sidecar_up, instance)") == ({"sample_server_sidecar_up"}, {"instance"})


def test_every_query_names_a_metric_the_server_exports(dashboard: dict[str, Any]) -> None:
    series = exported()
    for where, expr in queries(dashboard):
        names, labels = parse(expr)
        assert names, f"{where}: no metric in {expr!r}"
        assert names <= set(series), f"{where}: not exported: {sorted(names - set(series))}"
        known = set().union(*(series[name] for name in names)) | TARGET_LABELS
        assert labels <= known, f"{where}: labels not exported: {sorted(labels - known)}"


def test_the_dashboard_covers_what_the_issue_asks(dashboard: dict[str, Any]) -> None:
    used = set().union(*(parse(expr)[0] for _, expr in queries(dashboard)))
    for wanted in (
        "sample_server_datagrams_received_total",
        "sample_server_datagrams_sent_total",
        "sample_server_received_bytes_total",
        "sample_server_sent_bytes_total",
        "sample_server_refused_commands_total",
        "sample_server_players",
        "sample_server_sidecar_reply_seconds_bucket",
        "sample_server_sidecar_up",
    ):
        assert wanted in used, wanted


def test_every_panel_reads_the_chosen_prometheus(dashboard: dict[str, Any]) -> None:
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
