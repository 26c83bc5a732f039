"""``python -m inngest_conformance``: the same command line as ``inngest-conformance``."""

from __future__ import annotations

from inngest_conformance._console import main

raise SystemExit(main())
