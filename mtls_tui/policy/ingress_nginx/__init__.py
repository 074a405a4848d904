"""ingress-nginx's reading of the auth-tls annotations, host by host.

The controller's rules (v1.15.1, see DESIGN.md) are reproduced exactly, including
the silent ones: an unknown verify mode becomes `on`, a bad depth becomes 1, the
first Ingress for a host that sets mTLS wins, a Secret in another namespace is
refused. Each rewrite or refusal becomes a finding that says what the controller
does instead.

`hosts.host_policies` is the entry point. It reads each Ingress (`serving`: which controller
serves it; `prefixes`, `dropped`, `auth_tls`, `auth_tls_values`: its annotations), merges the
Ingresses into servers as controller.go does (`servers`, `conflicts`), and judges each host's
server (`tls`, `secret_findings`, `locations`, `redirects`, `match_cn_gate`, `snippets`) into a
`host_policy.HostPolicy`. `annotations`, `ingress_findings` and `controller_secrets` hold what
several of them read and write with. The other parsers' validators, location denials and risk
levels are `validators`, `denials` and `risks`; what differs from release to release is `releases`.
"""
