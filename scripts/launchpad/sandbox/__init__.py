"""The local AWS sandbox: moto in server mode, plus launchpad's patches for what moto lacks.

Everything about the sandbox lives in this package: the server process (``server``), its lifecycle from
the outside (``manager``), and one patch module per AWS service (``patches``).
"""

from launchpad.sandbox.manager import Sandbox, SandboxInfo

__all__ = ["Sandbox", "SandboxInfo"]
