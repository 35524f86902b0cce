"""PostgreSQL administration shared by every target: databases, login roles and migrations.

Statements go through an `Executor` (psycopg on the local target, the RDS Data API on AWS),
so this module imports no driver. Identifiers are quoted with `quote_ident`; passwords never
reach the server in plaintext: roles get a SCRAM-SHA-256 verifier computed here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from orchestrator.core.errors import BadInput
from orchestrator.core.model import Database


class Executor(Protocol):
    """Runs SQL as an administrator of the server.

    Placeholders are `%s` (positional) when `params` is non-empty; a literal `%` is then `%%`.
    `query` runs outside any transaction (CREATE/DROP DATABASE need that), against `database`
    or the server's maintenance database when None. `transaction` runs every statement in one
    transaction, all or nothing; a statement may hold several SQL statements (a migration
    file), which executors that take one statement per call split with `split_statements`.
    Both raise on SQL errors with the server's message as the exception's first line.
    """

    def query(self, sql: str, params: Sequence[Any] = (), *, database: str | None = None) -> list[tuple[Any, ...]]: ...

    def transaction(self, statements: Sequence[tuple[str, Sequence[Any]]], *, database: str) -> None: ...


@dataclass(frozen=True)
class MigrationFile:
    number: int
    filename: str
    sql: str


def read_migrations(db: Database, app_root: Path) -> list[MigrationFile]:
    """The database's migration files from the app's source, in number order; a BadInput names a missing one."""
    files: list[MigrationFile] = []
    root = app_root.resolve()
    for mig in sorted(db.migrations, key=lambda m: m.number):
        path = app_root / (db.migration_rel_path or "") / mig.filename
        if path.exists() and not path.resolve().is_relative_to(root):
            raise BadInput(
                f"migration file of database {db.name!r} resolves outside the app's source tree ({path.resolve()}); "
                "refusing to read it",
                where=str(path),
            )
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise BadInput(
                f"migration file of database {db.name!r} not found (is --app-root the app's source tree?)",
                where=str(path),
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"cannot read migration file: {exc}", where=str(path)) from None
        files.append(MigrationFile(mig.number, f"{db.migration_rel_path}/{mig.filename}", text))
    return files


class MigrationFailed(BadInput):
    """A migration's SQL failed; the database keeps the previous version, not dirty."""

    def __init__(self, filename: str, error: str, *, database: str) -> None:
        self.filename = filename
        self.error = error
        super().__init__(f"migration failed: {error}", where=f"{filename} (database {database})")


def quote_ident(name: str) -> str:
    if not name or "\x00" in name:
        raise ValueError("a PostgreSQL identifier must be non-empty and contain no NUL")
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """A string constant that means `value` whatever `standard_conforming_strings` is."""
    if "\x00" in value:
        raise ValueError("a PostgreSQL string cannot contain NUL")
    return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


SCRAM_ITERATIONS = 4096


def scram_verifier(password: str, *, salt: bytes | None = None, iterations: int = SCRAM_ITERATIONS) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802/7677, as libpq computes it)."""
    salt = salt if salt is not None else os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def ensure_database(ex: Executor, *, database: str, role: str, password: str, mark: str | None = None) -> None:
    """A login role with `password` owning `database`, which no other (non-superuser) role can connect to.

    Idempotent: an existing role gets the password again, an existing database its privileges. With `mark`
    (the local target's ownership mark), a new role is created with `COMMENT ON ROLE` in the same statement
    and the database gets `COMMENT ON DATABASE`; the caller checks existing marks (`marks`) first.
    """
    verifier = quote_literal(scram_verifier(password))
    r, db = quote_ident(role), quote_ident(database)
    attributes = f"{_LOGIN} PASSWORD {verifier}"
    if ex.query("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)):
        ex.query(f"ALTER ROLE {r} WITH {_RELOGIN} PASSWORD {verifier}")
        if mark is not None:
            ex.query(f"COMMENT ON ROLE {r} IS {quote_literal(mark)}")
    elif mark is None:
        ex.query(f"CREATE ROLE {r} WITH {attributes}")
    else:
        # One statement, so a role never exists without its mark (a run killed between two would leave one).
        ex.query(_do_block(f"CREATE ROLE {r} WITH {attributes}; COMMENT ON ROLE {r} IS {quote_literal(mark)};"))
    if not ex.query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")[0][0]:
        # Managed servers (RDS) have no superuser: the admin must be a member of the role to own objects as it.
        ex.query(f"GRANT {r} TO CURRENT_USER")
    if not ex.query("SELECT 1 FROM pg_database WHERE datname = %s", (database,)):
        ex.query(f"CREATE DATABASE {db} OWNER {r} ENCODING 'UTF8' TEMPLATE template0")
    ex.query(f"ALTER DATABASE {db} OWNER TO {r}")
    if mark is not None:
        ex.query(f"COMMENT ON DATABASE {db} IS {quote_literal(mark)}")
    ex.query(f"REVOKE ALL ON DATABASE {db} FROM PUBLIC")
    ex.query(f"GRANT CONNECT, CREATE, TEMPORARY ON DATABASE {db} TO {r}")
    ex.query("REVOKE ALL ON SCHEMA public FROM PUBLIC", database=database)
    ex.query(f"GRANT ALL ON SCHEMA public TO {r}", database=database)


_LOGIN = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"
_RELOGIN = "LOGIN NOCREATEDB NOCREATEROLE"
"""For ALTER ROLE: since PostgreSQL 16 only a superuser may name (NO)SUPERUSER there, and managed servers' admins
(RDS, Cloud SQL, Azure) are none; an admin without it never made the role a superuser."""


def _do_block(body: str) -> str:
    tag = "$orchestrator$"
    if tag in body:
        raise ValueError(f"a DO block body cannot contain {tag}")
    return f"DO {tag} BEGIN {body} END {tag}"


def marks(ex: Executor, *, database: str | None = None, role: str | None = None) -> dict[str, str | None]:
    """The ownership marks found on the server: `{"database": ..., "role": ...}` for those that exist (absent
    keys: no such database/role). A database's mark is its comment; one without a comment (made by a run
    killed before `COMMENT ON DATABASE`) has its owner role's, as only our marked role is made its owner."""
    found: dict[str, str | None] = {}
    if role is not None:
        rows = ex.query("SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = %s", (role,))
        if rows:
            found["role"] = rows[0][0]
    if database is not None:
        rows = ex.query(
            "SELECT coalesce(shobj_description(d.oid, 'pg_database'), shobj_description(d.datdba, 'pg_authid')) "
            "FROM pg_database d WHERE d.datname = %s", (database,))
        if rows:
            found["database"] = rows[0][0]
    return found


def marked(ex: Executor, mark: str) -> dict[str, list[str]]:
    """Every database and role on the server that carries `mark` (see `marks`)."""
    databases = ex.query(
        "SELECT d.datname FROM pg_database d WHERE coalesce(shobj_description(d.oid, 'pg_database'), "
        "shobj_description(d.datdba, 'pg_authid')) = %s ORDER BY 1", (mark,))
    roles = ex.query(
        "SELECT rolname FROM pg_roles WHERE shobj_description(oid, 'pg_authid') = %s ORDER BY 1", (mark,))
    return {"databases": [r[0] for r in databases], "roles": [r[0] for r in roles]}


def remark(ex: Executor, *, databases: Sequence[str], roles: Sequence[str], mark: str) -> None:
    """Give each database and role `mark` (after the caller checked they carried the previous one)."""
    for role in roles:
        ex.query(f"COMMENT ON ROLE {quote_ident(role)} IS {quote_literal(mark)}")
    for database in databases:
        ex.query(f"COMMENT ON DATABASE {quote_ident(database)} IS {quote_literal(mark)}")


def holds_data(ex: Executor, *, database: str) -> bool:
    """Whether `database` holds anything beyond an empty schema: a row in any table but `schema_migrations`."""
    tables = ex.query(
        "SELECT format('%%I.%%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname NOT LIKE 'pg_toast%%' AND format('%%I.%%I', n.nspname, c.relname) <> %s",
        (MIGRATIONS_TABLE,), database=database)
    return any(ex.query(f"SELECT EXISTS (SELECT 1 FROM {name} LIMIT 1)", database=database)[0][0]
               for (name,) in tables)


def close_maintenance_databases(ex: Executor) -> None:
    """Only our roles' own databases accept them: PUBLIC loses CONNECT/TEMP on `postgres` and `template1`.

    The admin keeps access as their owner (or, where it is not the owner, the REVOKE changes nothing).
    """
    for name in ("postgres", "template1"):
        ex.query(f"REVOKE CONNECT, TEMPORARY ON DATABASE {quote_ident(name)} FROM PUBLIC")


def drop_database(ex: Executor, *, database: str, role: str) -> None:
    """Terminate its sessions, drop the database, then the role. Idempotent."""
    ex.query(f"DROP DATABASE IF EXISTS {quote_ident(database)} WITH (FORCE)")
    ex.query(f"DROP ROLE IF EXISTS {quote_ident(role)}")


MIGRATIONS_TABLE = "public.schema_migrations"


def migration_state(ex: Executor, *, database: str) -> tuple[int | None, bool]:
    """(current version, dirty) as golang-migrate reads it: the highest recorded version."""
    if ex.query("SELECT to_regclass(%s) IS NOT NULL", (MIGRATIONS_TABLE,), database=database)[0][0] is not True:
        return None, False
    rows = ex.query(f"SELECT version, dirty FROM {MIGRATIONS_TABLE} ORDER BY version DESC LIMIT 1", database=database)
    return (int(rows[0][0]), bool(rows[0][1])) if rows else (None, False)


def apply_migrations(
    ex: Executor, *, database: str, role: str, migrations: Sequence[MigrationFile], non_sequential: bool
) -> list[int]:
    """Apply pending migrations in number order over `ex`, which must be logged in as the app's own `role`
    (never an admin: a migration is app code, and `RESET ROLE` or `SET ROLE` would undo any demotion inside
    an admin's session); returns the numbers applied.

    Each migration runs in one transaction with the statement recording it in
    `schema_migrations` (sequential: the single current version; non-sequential: one row per
    applied version), so a failure leaves the previous version recorded and not dirty.
    """
    numbers = [m.number for m in migrations]
    if len(set(numbers)) != len(numbers):
        dup = sorted({n for n in numbers if numbers.count(n) > 1})
        raise BadInput(f"two migration files share the number {dup[0]}", where=f"database {database}")
    login = ex.query("SELECT session_user, current_user, rolsuper FROM pg_roles WHERE rolname = session_user",
                     database=database)
    if login != [(role, role, False)]:
        raise BadInput(f"migrations must run logged in as the app's role {role!r}, not as {login[0][0]!r}"
                       if login else f"migrations must run logged in as the app's role {role!r}",
                       where=f"database {database}")
    create = f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (version bigint NOT NULL PRIMARY KEY, dirty bool NOT NULL)"
    ex.transaction([(create, ())], database=database)
    rows = ex.query(f"SELECT version, dirty FROM {MIGRATIONS_TABLE} ORDER BY version", database=database)
    dirty = [int(v) for v, d in rows if d]
    if dirty:
        raise BadInput(
            f"schema_migrations marks version {dirty[-1]} dirty (a failed run of another tool): fix the schema, "
            "then clear the flag",
            where=f"database {database}",
        )
    applied = {int(v) for v, _ in rows}
    current = max(applied) if applied else None
    if non_sequential:
        pending = [m for m in migrations if m.number not in applied]
    else:
        pending = [m for m in migrations if current is None or m.number > current]

    done: list[int] = []
    for mig in sorted(pending, key=lambda m: m.number):
        if non_sequential:
            record = [(f"INSERT INTO {MIGRATIONS_TABLE} (version, dirty) VALUES (%s, false)", (mig.number,))]
        else:
            record = [
                (f"DELETE FROM {MIGRATIONS_TABLE}", ()),
                (f"INSERT INTO {MIGRATIONS_TABLE} (version, dirty) VALUES (%s, false)", (mig.number,)),
            ]
        try:
            ex.transaction([(mig.sql, ()), *record], database=database)
        except Exception as exc:  # the executor's driver error; its first line is the server's message
            raise MigrationFailed(mig.filename, _first_line(exc), database=database) from exc
        done.append(mig.number)
    return done


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def split_statements(sql: str) -> list[str]:
    """Split SQL text into statements at top-level semicolons.

    Semicolons inside string constants ('', E'', $tag$ $tag$), quoted identifiers, comments
    (-- and nested /* */) and SQL-standard function bodies (BEGIN ATOMIC ... END) do not split.
    Statements that hold only whitespace and comments are dropped.
    """
    out: list[str] = []
    start = i = 0
    n = len(sql)
    atomic_depth = 0
    prev_word = ""
    has_code = False
    while i < n:
        c = sql[i]
        if c == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if c == "/" and sql.startswith("/*", i):
            i = _skip_block_comment(sql, i)
            continue
        if c == ";" and atomic_depth == 0:
            if has_code:
                out.append(sql[start:i].strip())
            start, i, has_code, prev_word = i + 1, i + 1, False, ""
            continue
        has_code = has_code or not c.isspace()
        if c == "'":
            escaped = i > 0 and sql[i - 1] in "eE" and (i < 2 or not _is_word_char(sql[i - 2]))
            i = _skip_string(sql, i, backslash=escaped)
            prev_word = ""
        elif c == '"':
            end = i + 1
            while True:
                end = sql.find('"', end)
                if end < 0 or not sql.startswith('""', end):
                    break
                end += 2
            i = n if end < 0 else end + 1
            prev_word = ""
        elif c == "$" and (tag := _dollar_tag(sql, i)):
            end = sql.find(tag, i + len(tag))
            i = n if end < 0 else end + len(tag)
            prev_word = ""
        elif (_is_word_char(c) and not c.isdigit()) or c == "_":
            j = i
            while j < n and (_is_word_char(sql[j]) or sql[j] == "$"):
                j += 1
            word = sql[i:j].upper()
            if (word == "ATOMIC" and prev_word == "BEGIN") or (atomic_depth and word == "CASE"):
                atomic_depth += 1
            elif atomic_depth and word == "END":
                atomic_depth -= 1
            prev_word = word
            i = j
        else:
            if not c.isspace():
                prev_word = ""
            i += 1
    if has_code:
        out.append(sql[start:].strip())
    return out


def _is_word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


def _skip_block_comment(sql: str, i: int) -> int:
    depth, i, n = 1, i + 2, len(sql)
    while i < n and depth:
        if sql.startswith("/*", i):
            depth, i = depth + 1, i + 2
        elif sql.startswith("*/", i):
            depth, i = depth - 1, i + 2
        else:
            i += 1
    return i


def _skip_string(sql: str, i: int, *, backslash: bool) -> int:
    i, n = i + 1, len(sql)
    while i < n:
        c = sql[i]
        if backslash and c == "\\":
            i += 2
        elif c == "'":
            if sql.startswith("''", i):
                i += 2
            else:
                return i + 1
        else:
            i += 1
    return n


def _dollar_tag(sql: str, i: int) -> str | None:
    """The `$tag$` opening a dollar-quoted string at `i`, or None (a `$1` parameter, or part of a word)."""
    if i > 0 and (_is_word_char(sql[i - 1]) or sql[i - 1] == "$"):
        return None
    j = i + 1
    while j < len(sql) and (_is_word_char(sql[j])):
        j += 1
    if j < len(sql) and sql[j] == "$" and not sql[i + 1 : j][:1].isdigit():
        return sql[i : j + 1]
    return None


# ---- the same steps as psql scripts, for servers reached only from inside their network (a job on GCP and Azure) ----

PSQL_PASSWORD_VAR = "ROLE_PASSWORD"
"""The environment variable the setup script reads the role's password from (psql 15+ `\\getenv`): the password
itself, or its SCRAM verifier (`scram_verifier`), which PostgreSQL stores as given, so no password reaches it."""


def setup_script(*, database: str, role: str) -> str:
    """`ensure_database` + `close_maintenance_databases` as one psql script for an administrator that may not be a
    superuser. The password comes from the environment (`PSQL_PASSWORD_VAR`), never from the script; the server
    receives it once over TLS and stores its SCRAM verifier (password_encryption = scram-sha-256)."""
    r, db = quote_ident(role), quote_ident(database)
    rl, dl = quote_literal(role), quote_literal(database)
    create_db = quote_literal(f"CREATE DATABASE {db} OWNER {r} ENCODING 'UTF8' TEMPLATE template0")
    return "\n".join([
        "\\set ON_ERROR_STOP on",
        f"\\getenv orch_password {PSQL_PASSWORD_VAR}",
        f"SELECT 'CREATE ROLE ' || {quote_literal(r)} WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {rl})"
        " \\gexec",
        f"ALTER ROLE {r} WITH {_RELOGIN} PASSWORD :'orch_password';",
        "\\unset orch_password",
        f"SELECT 'GRANT ' || {quote_literal(r)} || ' TO CURRENT_USER' WHERE NOT (SELECT rolsuper FROM pg_roles "
        "WHERE rolname = current_user) \\gexec",
        f"SELECT {create_db} WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = {dl}) \\gexec",
        f"ALTER DATABASE {db} OWNER TO {r};",
        f"REVOKE ALL ON DATABASE {db} FROM PUBLIC;",
        f"GRANT CONNECT, CREATE, TEMPORARY ON DATABASE {db} TO {r};",
        *(f"REVOKE CONNECT, TEMPORARY ON DATABASE {quote_ident(name)} FROM PUBLIC;"
          for name in ("postgres", "template1")),
        f"\\connect {db}",
        "REVOKE ALL ON SCHEMA public FROM PUBLIC;",
        f"GRANT ALL ON SCHEMA public TO {r};",
        "",
    ])


def migrate_script(*, database: str, role: str, migrations: Sequence[MigrationFile], non_sequential: bool) -> str:
    """`apply_migrations` as one psql script, run logged in as the app's own `role` on `database`: it refuses any
    other login, a dirty `schema_migrations`, or duplicate numbers; each pending migration runs in one transaction
    with the statement recording it."""
    numbers = [m.number for m in migrations]
    if len(set(numbers)) != len(numbers):
        dup = sorted({n for n in numbers if numbers.count(n) > 1})
        raise BadInput(f"two migration files share the number {dup[0]}", where=f"database {database}")
    rl = quote_literal(role)
    lines = [
        "\\set ON_ERROR_STOP on",
        "DO $orch$ BEGIN IF session_user <> " + rl + " OR current_user <> " + rl + " OR (SELECT rolsuper FROM pg_roles"
        " WHERE rolname = session_user) THEN RAISE EXCEPTION 'migrations must run logged in as the app''s role %, "
        "not as %', " + rl + ", session_user; END IF; END $orch$;",
        f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (version bigint NOT NULL PRIMARY KEY, dirty bool NOT NULL);",
        f"DO $orch$ BEGIN IF EXISTS (SELECT 1 FROM {MIGRATIONS_TABLE} WHERE dirty) THEN RAISE EXCEPTION "
        "'schema_migrations marks a version dirty (a failed run of another tool): fix the schema, then clear the "
        "flag'; END IF; END $orch$;",
    ]
    for mig in sorted(migrations, key=lambda m: m.number):
        done = f"version = {mig.number}" if non_sequential else f"version >= {mig.number}"
        record = [] if non_sequential else [f"DELETE FROM {MIGRATIONS_TABLE};"]
        record.append(f"INSERT INTO {MIGRATIONS_TABLE} (version, dirty) VALUES ({mig.number}, false);")
        lines += [
            f"SELECT NOT EXISTS (SELECT 1 FROM {MIGRATIONS_TABLE} WHERE {done}) AS orch_pending \\gset",
            "\\if :orch_pending",
            f"\\echo applying {mig.filename}",
            "BEGIN;",
            mig.sql.rstrip(),
            ";",
            *record,
            "COMMIT;",
            "\\endif",
        ]
    return "\n".join([*lines, ""])

