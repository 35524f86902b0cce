"""What an Azure deploy hands over after the engine ran (the `delivery` part), and `secret set`.

* TypeScript apps: the protobuf runtime config, inline in `ENCORE_RUNTIME_CONFIG` when it fits the env's size limit,
  else a file to ship with the image (the Rust core reads files, s3:// and gs://, not Azure Blob).
* Go apps without topics: the JSON infra config file (`ENCORE_INFRA_CONFIG_PATH`), as on the other clouds.
* Go apps with topics: the Go runtime's legacy JSON runtime config, the only format that names Service Bus. It embeds
  credentials, so the program builds it from the generated values and keeps it in a Key Vault secret (stack output
  `legacy_runtime_config_secret`); the process gets it only as a secret reference (`ENCORE_RUNTIME_CONFIG` filled by
  the platform from Key Vault). Nothing with a secret value is written on this machine. App secrets reach that
  runtime through `ENCORE_APP_SECRETS=envref:...` over one `ENCORE_APP_SECRETS_<i>` per secret (`app_secrets_env`).

Every other secret value reaches the process as an environment variable the platform fills from its Key Vault
secret; `secret_env` names the secret's versionless URI (Container Apps `secretRef` with `keyVaultUrl`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.core.errors import OrchestratorError, Unsupported
from orchestrator.core.model import Kind, Language
from providers.base import Delivered

if TYPE_CHECKING:
    import pulumi

    from orchestrator.core.envs import Env
    from orchestrator.core.plan import Plan
    from providers.azure.session import AzureSession
    from runtime_config.infra import Provisioned

LEGACY_OUTPUT = "legacy_runtime_config_secret"
VAULT_OUTPUT = "key_vault"
IDENTITIES_OUTPUT = "service_identities"
LEGACY_VAR = "ENCORE_RUNTIME_CONFIG"
APP_SECRETS_VAR = "ENCORE_APP_SECRETS"
"""Where the Go runtime reads app secrets when it runs on the legacy config: `name=base64url(value)` pairs joined by
commas (runtimes/go/appruntime/infrasdk/secrets/manager_internal.go `parse`), or `envref:A,B,...`, the concatenated
values of those variables (`expandEnvRef`, same file)."""
SEPARATOR_VAR = "ENCORE_APP_SECRETS_SEP"
"""A plain variable holding "," between the secrets' variables in the envref (each chunk must be non-empty). Chunks
must be `ENCORE_` variables: the Go runtime's `encoreenv.Get` knows only those
(runtimes/go/appruntime/shared/encoreenv/encoreenv.go)."""


def uses_legacy_config(plan: Plan) -> bool:
    """Go apps with topics: only the legacy runtime config can name Service Bus."""
    return plan.language is Language.GO and any(True for _ in plan.of_kind(Kind.TOPIC))


def legacy_config_secret(session: AzureSession, provisioned: dict[str, Any]) -> pulumi.Output[str] | None:
    """For Go apps with topics: a Key Vault secret holding the `ENCORE_RUNTIME_CONFIG` value; its versionless URI."""
    if not uses_legacy_config(session.plan):
        return None
    import pulumi

    from providers.azure.secret import uri
    from providers.azure.session import Component
    from runtime_config import legacy_json
    from runtime_config.infra import Provisioned

    plan = session.plan

    def encode(resolved: list[Any]) -> str:
        record, values = resolved
        return legacy_json.encode(legacy_json.build_legacy_json(plan, Provisioned.model_validate(record), values))

    value = pulumi.Output.all(pulumi.Output.from_input(provisioned), pulumi.Output.all(**session.secret_values))
    owner = Component("RuntimeConfig", "runtime-config", session)
    secret = session.vault.secret(owner, "runtime-config/legacy", session.physical("azure.keyvault.secret", "runtime",
                                  "config"), "application/base64+json", pulumi.Output.secret(value.apply(encode)))
    owner.register_outputs({})
    return uri(secret)


def _output(outputs: Mapping[str, Any], key: str) -> Any:
    value = outputs.get(key)
    return getattr(value, "value", value)


def deliver(plan: Plan, provisioned: Provisioned, outputs: Mapping[str, Any], out_dir: Path) -> Delivered:
    from runtime_config.write import DEPLOY_ID_VAR, write_outputs

    notes = _identity_notes(outputs)
    if uses_legacy_config(plan):
        location = _output(outputs, LEGACY_OUTPUT)
        if not isinstance(location, str) or not location:
            raise OrchestratorError(f"the stack has no {LEGACY_OUTPUT!r} output, so the Go runtime config cannot be "
                                    "delivered (providers/azure/session.py exports it)", where=f"env {plan.env.name}")
        env_vars = {DEPLOY_ID_VAR: provisioned.deploy_id} if provisioned.deploy_id else {}
        # The config embeds every other credential; the process gets only it and the app secrets.
        sources: dict[str, str | None] = {LEGACY_VAR: location}
        if provisioned.secrets:
            chunks, plain = app_secrets_env(provisioned)
            env_vars |= plain
            sources |= chunks
            notes.append(f"Go apps on the legacy runtime config read app secrets through {APP_SECRETS_VAR}: store each "
                         "app secret's Key Vault value as <secret name>=<its value in unpadded base64url>")
        notes.append(f"{LEGACY_VAR} holds credentials: the platform fills it from the Key Vault secret {location}")
        return Delivered(provisioned, {}, env_vars, sources, notes)
    written = write_outputs(plan, provisioned, out_dir)
    files = set(written.paths.values())
    notes += [f"the process reads {value} ({var}): ship that file with the image at that path"
              for var, value in written.env.items() if Path(value) in files]
    return Delivered(provisioned, dict(written.paths), dict(written.env), secret_sources(provisioned), notes)


def app_secrets_env(provisioned: Provisioned) -> tuple[dict[str, str | None], dict[str, str]]:
    """(secret variables -> Key Vault URI, plain variables) for `ENCORE_APP_SECRETS=envref:ENCORE_APP_SECRETS_0,
    ENCORE_APP_SECRETS_SEP,ENCORE_APP_SECRETS_1,...`: the Go runtime concatenates the variables' values (each app
    secret's Key Vault value, stored as `name=base64url(value)`), so it reads every pair without the values ever
    passing through us."""
    ordered = sorted(provisioned.secrets, key=lambda s: s.encore_name)
    chunks: dict[str, str | None] = {f"{APP_SECRETS_VAR}_{i}": s.ref.source for i, s in enumerate(ordered)}
    refs = [part for name in chunks for part in (SEPARATOR_VAR, name)][1:]
    return chunks, {APP_SECRETS_VAR: "envref:" + ",".join(refs), SEPARATOR_VAR: ","}


def _identity_notes(outputs: Mapping[str, Any]) -> list[str]:
    identities = _output(outputs, IDENTITIES_OUTPUT) or {}
    return [f"service {name}: run it as managed identity {client} (AZURE_CLIENT_ID={client})"
            for name, client in sorted(dict(identities).items())]


def secret_sources(provisioned: Provisioned) -> dict[str, str | None]:
    """Every env var the platform must inject -> the Key Vault secret URI its value lives at (None if unknown)."""
    return {ref.env: ref.source for _, ref in provisioned.secret_refs() if ref.env}


def set_secret(env: Env, secret_id: str, value: str) -> None:
    """Refused: writing a Key Vault secret needs Azure's data-plane SDK, which the azure extra does not install."""
    raise Unsupported(f"`secret set` is not implemented for Azure yet; set the value with `az keyvault secret set "
                      f"--vault-name <the stack output {VAULT_OUTPUT}> --name {secret_id} --file <file>`",
                      where=f"env {env.name}")
