"""A service: its managed identity (providers/azure/iam.py) with exactly the data roles its grants need, plus read
access to the service-to-service signing key. The runtimes find the identity through `AZURE_CLIENT_ID` (Azure's
default credential chain: runtimes/go/pubsub/internal/azure/clients.go uses azidentity.NewDefaultAzureCredential).
No metrics exporter: the runtimes have none for Azure Monitor (docs/azure.md)."""

from __future__ import annotations

from orchestrator.core.plan import PlannedResource
from providers.azure import args
from providers.azure.iam import ServiceIdentity, needs_of
from providers.base import Context, Deployed


def deploy(ctx: Context, res: PlannedResource) -> Deployed:
    needs = needs_of(ctx, res.name)
    needs.append((args.KEY_VAULT_SECRETS_USER, ctx.target.service_auth.secret.id))  # signs its calls
    comp = ServiceIdentity(ctx.target, res, needs)
    ctx.target.identities[res.name] = comp.identity.client_id
    return Deployed(resource=comp, grants_target={"identity": comp.identity.client_id})
