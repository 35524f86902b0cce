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

Before any of that, every database's SQL job (stack output `sql_jobs`) is started and waited for: Pulumi cannot run a
Container Apps job. The jobs are idempotent, so each deploy runs them all. azure-mgmt-appcontainers and
azure-identity are imported on use.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.core.errors import BadInput, MissingTool, OrchestratorError
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
SQL_JOBS_OUTPUT = "sql_jobs"
SHARES_OUTPUT = "shares"
"""What a base env lends its shared preview envs; the engine reads it into `Applied.shares`
(orchestrator/engine/target.py `SHARES_OUTPUT`, which providers may not import)."""
INSTALL_HINT = "pip install 'encore-orchestrator[azure]'"
APP_SECRET_CONTENT_TYPE = "text/plain"
"""What the program gives every app secret (providers/azure/secret.py); a new version keeps it, so Pulumi sees no
drift."""
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


def deliver(plan: Plan, provisioned: Provisioned, outputs: Mapping[str, Any], out_dir: Path, *,
            jobs_client: Callable[[str], Any] | None = None) -> Delivered:
    """Run the SQL jobs, then say where each process finds its config. `jobs_client(subscription)` makes the
    Container Apps client (default: the SDK's, with DefaultAzureCredential)."""
    from runtime_config.write import DEPLOY_ID_VAR, write_outputs

    notes = run_sql_jobs(_output(outputs, SQL_JOBS_OUTPUT) or [], jobs_client or _jobs_client)
    notes += _identity_notes(outputs)
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
            notes.append(f"Go apps on the legacy runtime config read app secrets through {APP_SECRETS_VAR}: "
                         "`orchestrator secret set` stores each app secret's Key Vault value as <secret name>=<its "
                         "value in unpadded base64url>; do the same when setting one another way")
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


# ---- the SQL jobs ----------------------------------------------------------------------------------------------

JOB_WAIT_S = 2100.0
"""How long a deploy waits for the SQL jobs: the job's own replica timeout (providers/azure/sql.py JOB_TIMEOUT_S,
30 minutes) plus time for Container Apps to schedule the replica."""
POLL_S = 5.0
SUCCEEDED = "Succeeded"
ENDED = {"Failed", "Stopped", "Degraded"}
"""Terminal states other than success (azure.mgmt.appcontainers.models.JobExecutionRunningState); Running,
Processing and Unknown are waited on."""


def _jobs_client(subscription: str) -> Any:
    """The SDK's Container Apps client for `subscription`, signed in as whoever runs the deploy."""
    try:
        from azure.identity import DefaultAzureCredential
        from azure.mgmt.appcontainers import ContainerAppsAPIClient
    except ImportError:
        raise MissingTool(f"running the SQL jobs needs azure-mgmt-appcontainers and azure-identity: {INSTALL_HINT}",
                          where=f"subscription {subscription}") from None
    return ContainerAppsAPIClient(DefaultAzureCredential(), subscription)


def run_sql_jobs(jobs: Sequence[Mapping[str, str]], client_for: Callable[[str], Any], *, wait_s: float = JOB_WAIT_S,
                 poll_s: float = POLL_S, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> list[str]:
    """Start every job, wait until each execution ends; raise naming every database whose job did not succeed."""
    if not jobs:
        return []
    try:
        from azure.core.exceptions import AzureError
    except ImportError:
        raise MissingTool(f"running the SQL jobs needs azure-mgmt-appcontainers and azure-identity: {INSTALL_HINT}",
                          where=_job_where(jobs[0])) from None
    clients: dict[str, Any] = {}
    running: dict[str, tuple[Mapping[str, str], str]] = {}
    for job in jobs:
        subscription = job["subscription"]
        if subscription not in clients:
            clients[subscription] = client_for(subscription)
        try:
            execution = clients[subscription].jobs.begin_start(job["resource_group"], job["job"]).result()
        except AzureError as exc:
            raise OrchestratorError(f"could not start the SQL job of database {job['database']}: {_first_line(exc)}",
                                    where=_job_where(job)) from None
        running[job["database"]] = (job, execution.name)
    deadline = clock() + wait_s
    notes: list[str] = []
    failed: list[tuple[Mapping[str, str], str]] = []
    while running:
        for database, (job, name) in list(running.items()):
            try:
                execution = clients[job["subscription"]].job_execution(job["resource_group"], job["job"], name)
            except AzureError as exc:
                raise OrchestratorError(f"could not read the SQL job execution of database {database}: "
                                        f"{_first_line(exc)}", where=_job_where(job, name)) from None
            status = str(getattr(execution.status, "value", execution.status) or "Unknown")  # the SDK gives an enum
            if status == SUCCEEDED:
                notes.append(f"database {database}: SQL job execution {name} succeeded (role, database, migrations)")
            elif status in ENDED:
                reason = execution.message or execution.reason
                detail = f" ({_first_line(reason)})" if reason else ""
                failed.append((job, f"database {database}: execution {name} {status}{detail}"))
            else:
                continue
            del running[database]
        if running and clock() >= deadline:
            failed += [(job, f"database {database}: execution {name} still not done after {wait_s:.0f}s")
                       for database, (job, name) in running.items()]
            break
        if running:
            sleep(poll_s)
    if failed:
        raise OrchestratorError("the SQL job did not succeed: " + "; ".join(text for _, text in failed) +
                                " (its logs: `az containerapp job execution show` and the environment's Log Analytics)",
                                where=", ".join(_job_where(job) for job, _ in failed))
    return notes


def _job_where(job: Mapping[str, str], execution: str | None = None) -> str:
    return f"Container Apps job {job['resource_group']}/{job['job']}" + (f" execution {execution}" if execution else "")


def _first_line(value: object) -> str:
    text = str(value).strip()
    return text.splitlines()[0] if text else type(value).__name__


def _identity_notes(outputs: Mapping[str, Any]) -> list[str]:
    identities = _output(outputs, IDENTITIES_OUTPUT) or {}
    return [f"service {name}: run it as managed identity {client} (AZURE_CLIENT_ID={client})"
            for name, client in sorted(dict(identities).items())]


def secret_sources(provisioned: Provisioned) -> dict[str, str | None]:
    """Every env var the platform must inject -> the Key Vault secret URI its value lives at (None if unknown)."""
    return {ref.env: ref.source for _, ref in provisioned.secret_refs() if ref.env}


def set_secret(env: Env, secret_id: str, value: str, deployed: Mapping[str, Any] | None = None, *,
               secret_client: Callable[[str], Any] | None = None) -> None:
    """Put `value` as the current version of Key Vault secret `secret_id`, found through the last deployment's record
    (the vault's name is generated). For Go apps on the legacy runtime config the stored value is
    `<secret name>=<value in unpadded base64url>`, one pair of `ENCORE_APP_SECRETS` (`app_secrets_env`).
    `secret_client(vault_url)` makes the Key Vault client (default: the SDK's, with DefaultAzureCredential)."""
    vault_url, encore_name = _secret_place(env, secret_id, deployed)
    stored = value
    if APP_SECRETS_VAR in (deployed or {}).get("env_vars", {}):
        # runtimes/go/appruntime/infrasdk/secrets/manager_internal.go `parse`: base64.RawURLEncoding after "name="
        stored = f"{encore_name}=" + base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")
    where = f"{vault_url} secret {secret_id}"
    try:
        from azure.core.exceptions import AzureError, ResourceNotFoundError
    except ImportError:
        raise MissingTool(f"setting a Key Vault secret needs azure-keyvault-secrets and azure-identity: {INSTALL_HINT}",
                          where=where) from None
    client = (secret_client or _secret_client)(vault_url)
    try:
        client.set_secret(secret_id, stored, content_type=APP_SECRET_CONTENT_TYPE)
    except ResourceNotFoundError as exc:
        raise BadInput(f"no such secret or vault ({_first_line(exc)}); deploy {env.name} first", where=where) from None
    except AzureError as exc:  # HttpResponseError (403: needs Key Vault Secrets Officer), ClientAuthenticationError
        raise OrchestratorError(_first_line(exc), where=where) from None


def _secret_client(vault_url: str) -> Any:
    """The SDK's Key Vault client for `vault_url`, signed in as whoever runs the command."""
    try:
        from azure.identity import DefaultAzureCredential
        from azure.keyvault.secrets import SecretClient
    except ImportError:
        raise MissingTool(f"setting a Key Vault secret needs azure-keyvault-secrets and azure-identity: {INSTALL_HINT}",
                          where=vault_url) from None
    return SecretClient(vault_url, DefaultAzureCredential())


def _secret_place(env: Env, secret_id: str, deployed: Mapping[str, Any] | None) -> tuple[str, str]:
    """(vault URL, the app's name for the secret) from the recorded Provisioned: its versionless URI
    https://<vault>.vault.azure.net/secrets/<secret_id>."""
    if deployed is None:
        raise BadInput(f"the Key Vault holding {secret_id!r} is named at deploy time; deploy {env.name} first",
                       where=f"env {env.name}")
    for secret in deployed.get("provisioned", {}).get("secrets", []):
        source = str((secret.get("ref") or {}).get("source") or "")
        vault_url, sep, name = source.rstrip("/").partition("/secrets/")
        if sep and name == secret_id and vault_url.startswith("https://"):
            return vault_url, str(secret["encore_name"])
    if env.shares_base:
        raise BadInput(f"{env.name} reads its app secrets from base env {env.base}'s Key Vault, except the ones it "
                       f"keeps (orchestrator:previewOwnSecrets): set the value on {env.base}, or keep the secret in "
                       "the preview (orchestrator preview-env up --own-secret NAME)", where=f"env {env.name}")
    raise BadInput(f"the last deployment of {env.name} has no Key Vault secret {secret_id!r}; deploy the app that "
                   "declares it first", where=f"env {env.name}")
