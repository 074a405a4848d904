"""`mtls-tui migrate`'s pure core: an ingress-nginx client-certificate set-up as a successor's
objects, and what of it does not carry over (issue 15)."""

from mtls_tui.policy.migrate.build import migrate
from mtls_tui.policy.migrate.plan import TARGETS, HostMigration, MigrationPlan, SecretCommand, Target

__all__ = ["TARGETS", "HostMigration", "MigrationPlan", "SecretCommand", "Target", "migrate"]
