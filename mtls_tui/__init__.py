"""mtls-tui: diagnose client-certificate (mutual TLS) authentication on Kubernetes ingress."""

__version__ = "0.1.0"
