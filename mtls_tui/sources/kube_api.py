"""The few GETs the tool makes on the Kubernetes API, by path, through the client's `ApiClient`
(which brings the kubeconfig's server, credentials, TLS and proxy).

Why not the generated classes (`CoreV1Api`, `NetworkingV1Api`, `AppsV1Api`): importing them
takes 0.5–0.8 s (measured: `python -X importtime`; core_v1_api alone 0.38 s) and each call is
validated by pydantic. That half second came before the first Ingress on every screen and every
`check`. The reads here need a dozen paths and a handful of query parameters, named as the
generated methods name them (tests and benchmarks count requests by these names), and the
lists of the successors' custom resources (`listing`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

# name -> (path, positional path parameters in the generated method's order, Accept)
_JSON = "application/json"
ENDPOINTS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "list_ingress_for_all_namespaces": ("/apis/networking.k8s.io/v1/ingresses", (), _JSON),
    "list_namespaced_ingress": ("/apis/networking.k8s.io/v1/namespaces/{namespace}/ingresses", ("namespace",), _JSON),
    "list_ingress_class": ("/apis/networking.k8s.io/v1/ingressclasses", (), _JSON),
    "list_deployment_for_all_namespaces": ("/apis/apps/v1/deployments", (), _JSON),
    "list_pod_for_all_namespaces": ("/api/v1/pods", (), _JSON),
    "list_namespace": ("/api/v1/namespaces", (), _JSON),
    "list_event_for_all_namespaces": ("/api/v1/events", (), _JSON),
    "list_namespaced_event": ("/api/v1/namespaces/{namespace}/events", ("namespace",), _JSON),
    "list_secret_for_all_namespaces": ("/api/v1/secrets", (), _JSON),
    "list_namespaced_secret": ("/api/v1/namespaces/{namespace}/secrets", ("namespace",), _JSON),
    "read_namespaced_secret": ("/api/v1/namespaces/{namespace}/secrets/{name}", ("name", "namespace"), _JSON),
    "list_namespaced_service": ("/api/v1/namespaces/{namespace}/services", ("namespace",), _JSON),
    "read_namespaced_config_map": ("/api/v1/namespaces/{namespace}/configmaps/{name}", ("name", "namespace"), _JSON),
    "get_api_groups": ("/apis", (), _JSON),
    "read_namespaced_pod_log": ("/api/v1/namespaces/{namespace}/pods/{name}/log", ("name", "namespace"), "text/plain"),
}


def _query_name(keyword: str) -> str:
    """`label_selector` -> `labelSelector`, `_continue` -> `continue`: the API's own names."""
    first, *rest = keyword.lstrip("_").split("_")
    return first + "".join(word.capitalize() for word in rest)


def _query_value(value: Any) -> Any:
    return str(value).lower() if isinstance(value, bool) else value


class Get:
    """One endpoint, called as the generated method it replaces: path parameters positional,
    query parameters by keyword. Returns the raw urllib3 response (`.data`, `.stream()`);
    an answer outside 2xx raises the client's `ApiException`, as the generated methods do."""

    def __init__(self, api: Any, name: str, endpoint: tuple[str, tuple[str, ...], str] | None = None) -> None:
        self.api, self.__name__ = api, name
        self.path, self.path_names, self.accept = endpoint or ENDPOINTS[name]

    def __call__(self, *names: str, _request_timeout: Any = None, **query: Any) -> Any:
        from kubernetes.client.exceptions import ApiException

        request = self.api.param_serialize(
            method="GET",
            resource_path=self.path,
            path_params=dict(zip(self.path_names, names, strict=True)),
            query_params=[(_query_name(k), _query_value(v)) for k, v in query.items() if v is not None],
            header_params={"Accept": self.accept},
            auth_settings=["BearerToken"],
        )
        response = self.api.call_api(*request, _request_timeout=_request_timeout)
        if not 200 <= response.status <= 299:
            response.read()
            raise ApiException.from_response(http_resp=response, body=None, data=None)
        return response.response


class KubeApi:
    """The endpoints of one `ApiClient`, as attributes: `KubeApi(api).list_pod_for_all_namespaces(...)`."""

    def __init__(self, api: Any) -> None:
        self.api = api
        for name in ENDPOINTS:
            setattr(self, name, Get(api, name))

    def listing(self, group: str, version: str, plural: str, namespace: str | None = None) -> Get:
        """LIST of a custom resource, in one namespace or all (`list_<plural>.<group>` in `requests`)."""
        scope = f"/namespaces/{quote(namespace, safe='')}" if namespace else ""
        return Get(self.api, f"list_{plural}.{group}", (f"/apis/{group}/{version}{scope}/{plural}", (), _JSON))

    def __getattr__(self, name: str) -> Get:  # for the type checker: every endpoint is set in __init__
        raise AttributeError(name)
