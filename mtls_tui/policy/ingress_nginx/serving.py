"""Which ingress-nginx controller serves an Ingress, or the finding that says none does: its
IngressClass or class annotation against each controller's flags (store.go GetIngressClass), the
namespaces a controller watches, whether it starts at all, --disable-catch-all, and API versions
no longer served. Separate because it decides whether anything else about the Ingress is read,
and the successors' readers ask it too.
"""

from __future__ import annotations

from mtls_tui.model import ClusterSnapshot, ControllerObj, Finding, IngressClassObj, IngressObj, Severity
from mtls_tui.policy.ingress_classes import READ_BY_SUCCESSORS
from mtls_tui.policy.ingress_nginx.annotations import PREFIX
from mtls_tui.policy.ingress_nginx.ingress_findings import ingress_finding, ingress_words
from mtls_tui.policy.kube_objects import CLASS_ANNOTATION, NAME_LABEL, NGINX_CONTROLLER
from mtls_tui.policy.label_selector import Selector, parse_selector
from mtls_tui.shell import arg, json_arg

DEFAULT_INGRESS_CLASS = "nginx"  # pkg/flags/flags.go --ingress-class
REMOVED_APIS = ("extensions/v1beta1", "networking.k8s.io/v1beta1")


def removed_api_finding(ingress: IngressObj) -> Finding | None:
    if ingress.api_version not in REMOVED_APIS:
        return None
    return ingress_finding(
        code="ingress-api-removed",
        severity=Severity.ERROR,
        title=f"{ingress.api_version} Ingress is no longer served (removed in Kubernetes 1.22)",
        detail="Use apiVersion networking.k8s.io/v1: spec.ingressClassName, and backends as "
        "service: {name: meow-svc, port: {number: 80}} with pathType: Prefix.",
        fix=f"kubectl get ingress {ingress_words(ingress)} -o yaml > {arg(ingress.name + '.yaml')}  # then edit: apiVersion "
        "networking.k8s.io/v1, backend.serviceName/servicePort -> backend.service.name/port.number, pathType: Prefix",
        ingress=ingress,
    )


def serving_controller(ingress: IngressObj, snapshot: ClusterSnapshot) -> tuple[ControllerObj | None, Finding | None]:
    """Which ingress-nginx controller serves this Ingress, or the finding that says none does.
    Manifests hold no controller: an IngressClass among them that names another
    controller still tells that ingress-nginx ignores the Ingress."""
    if not snapshot.controllers_known:
        # store.go GetIngressClass: the class annotation is compared with --ingress-class only, never
        # with an IngressClass object (whose name may even be another controller's class)
        if ingress.class_source == "annotation":
            if ingress.ingress_class == DEFAULT_INGRESS_CLASS:
                return None, None
            return None, ingress_finding(
                code="ingress-class-mismatch",
                severity=Severity.ERROR,
                title=f"{CLASS_ANNOTATION}: {ingress.ingress_class} is not ingress-nginx's --ingress-class "
                f"({DEFAULT_INGRESS_CLASS} by default): it ignores this Ingress",
                detail=f"store.go GetIngressClass compares the annotation {CLASS_ANNOTATION} with the controller's "
                f"--ingress-class only (pkg/flags/flags.go, default {DEFAULT_INGRESS_CLASS}); no controller is among "
                "the files, so its default is assumed. Another controller may serve the Ingress.",
                fix=f"kubectl annotate ingress {ingress_words(ingress)} "
                f"{arg(CLASS_ANNOTATION + '=' + DEFAULT_INGRESS_CLASS)} --overwrite  # if ingress-nginx should serve it",
                ingress=ingress,
                evidence=(f"{CLASS_ANNOTATION}: {ingress.ingress_class}",),
            )
        klass = next((c for c in snapshot.ingress_classes if c.name == ingress.ingress_class), None)
        if klass is None or klass.controller == NGINX_CONTROLLER:
            return None, None
        return None, ingress_finding(
            code="ingress-class-mismatch",
            severity=Severity.ERROR,
            title=f"IngressClass {klass.name} belongs to {klass.controller}: ingress-nginx ignores this Ingress",
            detail=f"The Ingress asks for class {klass.name} via {ingress.class_source}, and that IngressClass names the "
            f"controller {klass.controller}, not {NGINX_CONTROLLER}. ingress-nginx serves none of its hosts and "
            "reads none of its nginx.ingress.kubernetes.io/ annotations." + _successors_own(klass),
            fix=_class_fix(ingress, snapshot),
            ingress=ingress,
            evidence=(f"IngressClass {klass.name}: spec.controller {klass.controller}",),
        )
    if not snapshot.controllers:
        return None, ingress_finding(
            code="controller-not-found",
            severity=Severity.ERROR,
            title="no ingress-nginx controller found in the cluster",
            detail="No Deployment labelled app.kubernetes.io/name=ingress-nginx, app.kubernetes.io/component=controller. "
            "Without it no Ingress is served (another controller may serve this one, with other annotations).",
            fix="kubectl get pods -A -l app.kubernetes.io/name=ingress-nginx",
            ingress=ingress,
        )
    classes = {c.name: c for c in snapshot.ingress_classes}
    running = [c for c in snapshot.controllers if c.start_error is None]
    if not running:
        return None, _not_starting(ingress, snapshot.controllers[0])
    watching = [c for c in running if watches(c, ingress.namespace, snapshot) is not False]
    if not watching:
        return None, _unwatched(ingress, snapshot)
    catch_all: ControllerObj | None = None
    for controller in watching:
        # store.go GetIngressClass, v1.15.1: spec.ingressClassName must name an IngressClass in the
        # controller's store, which holds those whose spec.controller is its --controller-class, and with
        # --ingress-class-by-name the one named --ingress-class (ingressClassEventHandler AddFunc,
        # foundClassByName); without it, the annotation kubernetes.io/ingress.class must equal
        # --ingress-class (icConfig.AnnotationValue), whatever IngressClass objects exist; without
        # either, only --watch-ingress-without-class takes it (the API server's admission gives an
        # Ingress created without a class the default IngressClass's name: manifests may not show it).
        name = ingress.ingress_class
        if name is None:
            default = next((c for c in snapshot.ingress_classes if c.is_default and _claims(controller, c)), None)
            if not (controller.watch_without_class or default):
                continue
        elif ingress.class_source == "annotation":
            if name != controller.ingress_class:
                continue
        else:
            klass = classes.get(name)
            if klass is None or not _claims(controller, klass):
                continue
        # store.go New, ingEventHandler AddFunc: after the class check, `hasCatchAllIngressRule(ing.Spec) &&
        # disableCatchAll` logs "Ignoring add for catch-all ingress because of --disable-catch-all" and returns
        if controller.disable_catch_all and ingress.default_backend:
            catch_all = catch_all or controller
            continue
        return controller, None
    if catch_all is not None:
        return None, _catch_all_disabled(ingress, catch_all)
    known = ", ".join(f"{c.name} ({c.controller})" for c in snapshot.ingress_classes) or "none"
    wanted = ingress.ingress_class or "(no class)"
    if ingress.class_source == "annotation":
        flags = ", ".join(f"{c.ref} --ingress-class={c.ingress_class}" for c in watching)
        return None, ingress_finding(
            code="ingress-class-mismatch",
            severity=Severity.ERROR,
            title=f"no ingress-nginx controller takes the class annotation {wanted}: "
            f"its --ingress-class is {watching[0].ingress_class}",
            detail=f"The annotation {CLASS_ANNOTATION} is compared with each controller's --ingress-class "
            "(store.go GetIngressClass, icConfig.AnnotationValue), never with IngressClass objects: an IngressClass "
            f"named {wanted} changes nothing for it ({flags}). The controller ignores this Ingress: none of its hosts "
            "are served from it and its annotations are never read.",
            fix=f"kubectl annotate ingress {ingress_words(ingress)} "
            f"{arg(CLASS_ANNOTATION + '=' + watching[0].ingress_class)} --overwrite",
            ingress=ingress,
            evidence=(
                f"{CLASS_ANNOTATION}: {wanted}",
                *(f"{c.ref}: --ingress-class={c.ingress_class}" for c in watching),
            ),
        )
    return None, ingress_finding(
        code="ingress-class-mismatch",
        severity=Severity.ERROR,
        title=f"no ingress-nginx controller serves class {wanted}",
        detail=f"The Ingress asks for {wanted} via {ingress.class_source}; IngressClasses: {known}. ingress-nginx "
        f"controllers: {', '.join(c.ref + ' (' + c.controller_class + ')' for c in snapshot.controllers)}.",
        fix=_class_fix(ingress, snapshot),
        ingress=ingress,
    )


def _claims(controller: ControllerObj, klass: IngressClassObj) -> bool:
    """Whether the IngressClass is in the controller's store (store.go ingressClassEventHandler AddFunc):
    its spec.controller is the controller's --controller-class, or --ingress-class-by-name is set and
    its name is --ingress-class (foundClassByName)."""
    return klass.controller == controller.controller_class or (
        controller.ingress_class_by_name and klass.name == controller.ingress_class
    )


def _catch_all_disabled(ingress: IngressObj, controller: ControllerObj) -> Finding:
    """--disable-catch-all: the controller never stores an Ingress with spec.defaultBackend, its rules
    and annotations included (store.go hasCatchAllIngressRule; e2e test/e2e/settings/disable_catch_all.go
    'should ignore catch all Ingress with backend and rules')."""
    patch = json_arg([{"op": "remove", "path": "/spec/defaultBackend"}])
    return ingress_finding(
        code="ingress-catch-all-ignored",
        severity=Severity.ERROR,
        title=f"{controller.ref} runs with --disable-catch-all and this Ingress has spec.defaultBackend: it is ignored",
        detail="store.go (New, the Ingress event handler) checks hasCatchAllIngressRule after the class: an Ingress "
        "with spec.defaultBackend is dropped with 'Ignoring add for catch-all ingress because of --disable-catch-all', "
        "rules and annotations included. None of its hosts get a server from it and its auth-tls is never read; "
        "another Ingress for the same host serves it without these settings. Remove spec.defaultBackend (its "
        "rules keep their backends).",
        fix=f"kubectl patch ingress {ingress_words(ingress)} --type json -p {patch}",
        ingress=ingress,
        evidence=(f"{controller.ref}: --disable-catch-all=true", f"{ingress.ref}: spec.defaultBackend is set"),
    )


def watches(controller: ControllerObj, namespace: str, snapshot: ClusterSnapshot) -> bool | None:
    """Whether the controller reads objects in `namespace`; None when the namespace's labels
    were not seen (manifests without the Namespace). --watch-namespace: its informers list that
    namespace only (store.go New, `informers.WithNamespace`). --watch-namespace-selector: an
    Ingress is taken only when its namespace's labels match (store.go `watchedNamespace`; a
    namespace that does not exist is not watched); a selector `labels.Parse` refuses stops the
    controller at start (flags.go ParseFlags)."""
    if controller.watch_namespace not in (None, namespace):
        return False
    selector = parse_selector(controller.watch_namespace_selector or "")
    if controller.watch_namespace_selector is None or selector is None:
        return True  # no selector; one that does not parse is the controller's start_error
    found = next((n for n in snapshot.namespaces if n.name == namespace), None)
    if found is None:
        return False if snapshot.namespaces_read else None
    return selector.matches(dict(found.labels))


def _scope(controller: ControllerObj) -> str:
    if controller.watch_namespace_selector is not None:
        return f"--watch-namespace-selector={controller.watch_namespace_selector}"
    return f"--watch-namespace={controller.watch_namespace}" if controller.watch_namespace else "every namespace"


def _unwatched(ingress: IngressObj, snapshot: ClusterSnapshot) -> Finding:
    """No controller reads this Ingress's namespace (`watches`), so none serves it."""
    first = snapshot.controllers[0]
    scopes = tuple(f"{c.ref}: {_scope(c)}" for c in snapshot.controllers)
    found = next((n for n in snapshot.namespaces if n.name == ingress.namespace), None)
    labels = ", ".join(f"{k}={v}" for k, v in found.labels) if found else ""
    seen = ""
    if any(c.watch_namespace_selector for c in snapshot.controllers):
        if found is not None:
            seen = f" Namespace {ingress.namespace} has {'the labels ' + labels if labels else 'no labels'}."
        elif snapshot.namespaces_read:
            seen = f" Namespace {ingress.namespace} does not exist."
    selector = parse_selector(first.watch_namespace_selector or "")
    wanted = (
        _labels_for(selector, dict(found.labels)) if first.watch_namespace_selector and selector and found else None
    )
    if wanted:  # labelling the namespace is what lets the controller in
        fix = f"kubectl label namespace {arg(ingress.namespace)} {' '.join(arg(w) for w in wanted)} --overwrite"
    else:
        fix = (
            f"kubectl get deployment {arg(first.name)} -n {arg(first.namespace)} -o jsonpath='{{.spec.template.spec.containers[0].args}}'"
            "  # move the Ingress (and its Secrets) to a watched namespace, or widen the controller's scope"
        )
    return ingress_finding(
        code="ingress-namespace-unwatched",
        severity=Severity.ERROR,
        title=f"no ingress-nginx controller watches namespace {ingress.namespace}: this Ingress is not served",
        detail=f"The controllers read objects only where their scope allows ({'; '.join(scopes)}).{seen} None of "
        "this Ingress's hosts are served, and its annotations are never read.",
        fix=fix,
        ingress=ingress,
        evidence=scopes,
    )


def _not_starting(ingress: IngressObj, controller: ControllerObj) -> Finding:
    """The controller exits at start (its flags): nothing it would serve is served."""
    return ingress_finding(
        code="controller-not-starting",
        severity=Severity.ERROR,
        title=f"the controller {controller.ref} does not start: {controller.start_error}",
        detail="pkg/flags/flags.go ParseFlags refuses the controller's arguments and the process exits, so its "
        "pods restart in a loop and no Ingress it would serve is served, this one included. Correct the argument "
        "in the Deployment.",
        fix=f"kubectl get deployment {arg(controller.name)} -n {arg(controller.namespace)} "
        "-o jsonpath='{.spec.template.spec.containers[0].args}'  # then: kubectl edit deployment, and correct the flag",
        ingress=ingress,
        evidence=(f"{controller.ref}: {controller.start_error}",),
    )


def _labels_for(selector: Selector, labels: dict[str, str]) -> list[str] | None:
    """`kubectl label` arguments that make a namespace with `labels` match: set a label for
    `=`, `in` and `key`, remove one it has for `!key`, `!=` and `notin`. None when labelling
    cannot do it: a number comparison, or the name label the API server keeps equal to the
    namespace's name."""
    wanted = []
    for requirement in selector.requirements:
        if requirement.matches(labels):
            continue
        if requirement.key == NAME_LABEL or requirement.operator in ("gt", "lt"):
            return None
        if requirement.operator in ("=", "in"):
            wanted.append(f"{requirement.key}={requirement.values[0]}")
        elif requirement.operator == "exists":
            wanted.append(f"{requirement.key}=true")
        else:
            wanted.append(f"{requirement.key}-")
    return wanted or None


def _successors_own(klass: IngressClassObj) -> str:
    """For a class a successor's reader judges: that verdict is the one that counts."""
    if klass.controller not in READ_BY_SUCCESSORS:
        return ""
    return (
        f" {klass.controller} serves it: its verdict for these hosts (other_controllers in --json) says what that "
        "controller does with the Ingress and how to fix it there. Hand the Ingress to ingress-nginx only where an "
        "ingress-nginx controller runs and should serve it: where only that other controller runs, the host would "
        "then be served by nobody."
    )


def _class_fix(ingress: IngressObj, snapshot: ClusterSnapshot) -> str:
    """Point the Ingress at an IngressClass of ingress-nginx; when none exists, make one first
    (a class named after another controller's would change nothing). In a cluster this finding
    comes only where an ingress-nginx controller runs; from files, where that is unknown, an Ingress
    a successor serves gets the condition beside the command (_successors_own: on a Traefik-only
    cluster the class would leave the host served by nobody, as the review saw)."""

    def patch(name: str) -> str:
        return f"kubectl patch ingress {ingress_words(ingress)} --type merge -p {json_arg({'spec': {'ingressClassName': name}})}"

    ours = next((c.name for c in snapshot.ingress_classes if c.controller == NGINX_CONTROLLER), None)
    if ours:
        return patch(ours)
    name = "ingress-nginx-2" if any(c.name == "ingress-nginx" for c in snapshot.ingress_classes) else "ingress-nginx"
    return (
        f"printf 'apiVersion: networking.k8s.io/v1\\nkind: IngressClass\\nmetadata:\\n  name: {name}\\nspec:\\n"
        f"  controller: {NGINX_CONTROLLER}\\n' | kubectl apply -f - && {patch(name)}"
    )


def anothers(ingress: IngressObj, snapshot: ClusterSnapshot) -> bool:
    """An Ingress of a class whose controller a successor's reader judges, that carries no annotation
    of ingress-nginx's: not ingress-nginx's to report (its reader does)."""
    klass = next((c for c in snapshot.ingress_classes if c.name == ingress.ingress_class), None)
    return (
        klass is not None
        and ingress.class_source == "spec.ingressClassName"
        and klass.controller in READ_BY_SUCCESSORS
        and not any(key.startswith(PREFIX) for key, _ in ingress.annotations)
    )


# IngressClass names other controllers read by default: an Ingress asking for one of them, whose
# IngressClass is not among the files, most likely is not ingress-nginx's at all.
OTHERS_CLASS_NAMES = {
    # traefik/traefik pkg/provider/kubernetes/ingress/kubernetes.go traefikDefaultIngressClass (v3.7.9)
    "traefik": "Traefik",
    # istio/istio pilot/pkg/config/kube/ingress/virtualservices.go shouldProcessIngressWithClass: meshConfig.ingressClass
    "istio": "Istio",
}


def class_unseen(ingress: IngressObj, snapshot: ClusterSnapshot) -> bool:
    """Files that name an IngressClass other than ingress-nginx's default without holding it:
    its spec.controller, which decides whether ingress-nginx reads the Ingress at all (store.go
    GetIngressClass), was not read, and ingress-nginx is only assumed."""
    return (
        not snapshot.controllers_known
        and ingress.class_source == "spec.ingressClassName"
        and ingress.ingress_class not in (None, DEFAULT_INGRESS_CLASS)
        and not any(c.name == ingress.ingress_class for c in snapshot.ingress_classes)
    )


def class_not_in_manifests(ingress: IngressObj) -> Finding:
    name = ingress.ingress_class or ""
    other = OTHERS_CLASS_NAMES.get(name)
    return ingress_finding(
        code="ingress-class-not-in-manifests",
        severity=Severity.WARNING,
        title=f"not checked: IngressClass {name} is not among the files, so ingress-nginx serving this Ingress "
        "is an assumption",
        detail="spec.ingressClassName names the IngressClass whose spec.controller decides which controller reads "
        "the Ingress: ingress-nginx takes it only if that is its --controller-class, k8s.io/ingress-nginx by "
        "default (store.go GetIngressClass). The class was not read, so ingress-nginx is assumed. Add the "
        "IngressClass to --manifests to have it decided."
        + (
            f" '{name}' is the class {other} reads by default, and {other} reads no nginx.ingress.kubernetes.io/ "
            "annotation: there, no client certificate is asked for and anyone gets in."
            if other
            else ""
        ),
        fix=f"kubectl get ingressclass {arg(name)} -o yaml > {arg(name + '-ingressclass.yaml')}  # then add it to --manifests",
        ingress=ingress,
        evidence=(f"spec.ingressClassName: {name}",),
    )
