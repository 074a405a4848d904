"""The seed article's Kubernetes objects, plus the ingress-nginx controller they need.

The lab's API server serves these, the tests read them, and `check --manifests`
can be pointed at them: one description of the workshop's cluster.
"""

from __future__ import annotations

from typing import Any

from mtls_tui.lab.pki import SeedPki, secret_manifest

CONTROLLER_NAMESPACE = "ingress-nginx"
CONTROLLER_LABELS = {
    "app.kubernetes.io/name": "ingress-nginx",
    "app.kubernetes.io/component": "controller",
    "app.kubernetes.io/instance": "ingress-nginx",
}
CONTROLLER_IMAGE = "registry.k8s.io/ingress-nginx/controller:v1.15.1"


def namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def controller_objects(
    replicas: int = 2, extra_args: tuple[str, ...] = (), image: str = CONTROLLER_IMAGE
) -> list[dict[str, Any]]:
    """The controller Deployment, its pods and the `nginx` IngressClass, as the Helm chart makes them."""
    args = [
        "/nginx-ingress-controller",
        "--election-id=ingress-nginx-leader",
        "--controller-class=k8s.io/ingress-nginx",
        "--ingress-class=nginx",
        "--configmap=$(POD_NAMESPACE)/ingress-nginx-controller",
        *extra_args,
    ]
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "ingress-nginx-controller",
            "namespace": CONTROLLER_NAMESPACE,
            "labels": dict(CONTROLLER_LABELS),
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(CONTROLLER_LABELS)},
            "template": {
                "metadata": {"labels": dict(CONTROLLER_LABELS)},
                "spec": {"containers": [{"name": "controller", "image": image, "args": args}]},
            },
        },
    }
    pods = [
        controller_pod(f"ingress-nginx-controller-5984b97644-{suffix}", image)
        for suffix in ("qbwtv", "x7k2m", "p9d4s")[:replicas]
    ]
    ingress_class = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {"name": "nginx", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
        "spec": {"controller": "k8s.io/ingress-nginx"},
    }
    return [deployment, *pods, ingress_class]


def controller_pod(name: str, image: str = CONTROLLER_IMAGE) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": CONTROLLER_NAMESPACE, "labels": dict(CONTROLLER_LABELS)},
        "spec": {"containers": [{"name": "controller", "image": image}], "nodeName": "lab-node"},
        "status": {
            "phase": "Running",
            "containerStatuses": [
                {
                    "name": "controller",
                    "ready": True,
                    "restartCount": 0,
                    "image": image,
                    "imageID": image,
                    "started": True,
                    "state": {"running": {}},
                }
            ],
        },
    }


def meow_ingress(
    annotations: dict[str, str] | None = None,
    tls: bool = True,
    name: str = "meow-ingress",
    host: str = "meow.com",
    namespace_: str = "default",
) -> dict[str, Any]:
    """The seed's Ingress in networking.k8s.io/v1 form."""
    if annotations is None:
        annotations = {
            "nginx.ingress.kubernetes.io/auth-tls-verify-client": "on",
            "nginx.ingress.kubernetes.io/auth-tls-secret": "default/my-certs",
        }
    spec: dict[str, Any] = {
        "ingressClassName": "nginx",
        "rules": [
            {
                "host": host,
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": "meow-svc", "port": {"number": 80}}},
                        }
                    ]
                },
            }
        ],
    }
    if tls:
        spec["tls"] = [{"hosts": [host], "secretName": "my-certs"}]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": namespace_, "annotations": annotations},
        "spec": spec,
    }


def app_objects() -> list[dict[str, Any]]:
    labels = {"app": "meow"}
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "meow", "namespace": "default"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "containers": [
                            {
                                "name": "meow",
                                "image": "gcr.io/kubernetes-e2e-test-images/echoserver:2.1",
                                "ports": [{"containerPort": 8080}],
                            }
                        ]
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "meow-svc", "namespace": "default"},
            "spec": {
                "selector": labels,
                "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}],
            },
        },
    ]


def seed_objects(pki: SeedPki) -> list[dict[str, Any]]:
    return [
        namespace("default"),
        namespace(CONTROLLER_NAMESPACE),
        *controller_objects(),
        secret_manifest(pki),
        *app_objects(),
        meow_ingress(),
    ]
