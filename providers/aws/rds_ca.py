"""The Amazon RDS root CAs of one region, read from the labelled bundle `data/rds-ca-bundle.pem`.

The instances are pinned to `INSTANCE_CA` (args.sql_instance_args). AWS's Aurora SSL page
(https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/UsingWithRDS.SSL.html) lists it first, as the CA
with CN `Amazon RDS <region> Root CA RSA2048 G1`; RDS's own default for new instances is per account
(DescribeCertificates `DefaultCertificateForNewLaunches`, changed by ModifyCertificates), so it is pinned rather
than assumed.
"""

from __future__ import annotations

import re
from functools import cache

from providers.aws.refresh_rds_ca import BUNDLE

INSTANCE_CA = "rds-ca-rsa2048-g1"
_KINDS = ("RSA2048", "RSA4096", "ECC384")


@cache
def _labelled() -> dict[str, str]:
    text = BUNDLE.read_text(encoding="ascii")
    blocks = re.findall(r"^# ([^\n]+)\n(-----BEGIN CERTIFICATE-----\n.*?\n-----END CERTIFICATE-----\n)", text,
                        flags=re.MULTILINE | re.DOTALL)
    return dict(blocks)


def instance_root(region: str) -> str | None:
    """The one root that signs the region's pinned instances: the Rust core reads a single certificate
    (`native_tls::Certificate::from_pem` in runtimes/core/src/sqldb/manager.rs)."""
    return _labelled().get(f"Amazon RDS {region} Root CA RSA2048 G1")


def region_roots(region: str) -> str | None:
    """The region's G1 roots, all of which the Go runtime trusts (`AppendCertsFromPEM` in
    runtimes/go/storage/sqldb/db.go), so a later CA change on the instance keeps working."""
    certs = [pem for kind in _KINDS if (pem := _labelled().get(f"Amazon RDS {region} Root CA {kind} G1"))]
    return "".join(certs) or None
