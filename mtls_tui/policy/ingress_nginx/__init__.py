"""ingress-nginx's reading of the auth-tls annotations, host by host: hosts.host_policies and
the modules it calls.
"""
