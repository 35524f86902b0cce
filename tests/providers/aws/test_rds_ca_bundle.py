"""providers/aws/data/rds-ca-bundle.pem: the Amazon RDS CAs the Rust core needs (its system store lacks them;
runtimes/core/src/sqldb/manager.rs adds only `server_ca_cert` as a root)."""

from __future__ import annotations

import re
import ssl

from providers.aws.refresh_rds_ca import BUNDLE


def test_bundle_loads_and_holds_only_amazon_rds_cas() -> None:
    text = BUNDLE.read_text(encoding="ascii")
    ctx = ssl.create_default_context(cadata=text)
    certs = ctx.get_ca_certs()
    assert len(certs) == text.count("-----BEGIN CERTIFICATE-----") >= 100
    issuers = {dict(rdn[0] for rdn in c["issuer"])["commonName"] for c in certs}
    assert all(re.fullmatch(r"Amazon RDS .*(Root|CA).*", cn) for cn in issuers), issuers
    assert "Amazon RDS eu-west-1 Root CA RSA2048 G1" in issuers
    assert text.count("\n# Amazon RDS ") + text.startswith("# Amazon RDS ") == len(certs)
