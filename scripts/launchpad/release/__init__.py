"""Releases of launchpad (RELEASING.md): ``builder`` makes the artifacts (``make release``), ``changelog``
reads CHANGELOG.md, ``artifacts`` writes the modules archive and SHA256SUMS, ``distributions`` builds the
wheels and sdists, ``sbom`` the CycloneDX SBOM, ``publish`` uploads a release for the platform's builds.

``builder``, ``changelog``, ``distributions`` and ``sbom`` need the maintainers' tools of the ``dev`` extra
(build, cyclonedx-bom, keepachangelog); ``artifacts`` and ``publish`` need nothing beyond launchpad's own."""
