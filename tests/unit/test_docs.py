"""The README table generator: what it reads from .tf files, and how staleness is caught."""

from __future__ import annotations

from pathlib import Path

import pytest

from launchpad import docs
from launchpad.errors import LaunchpadError

VARIABLES = """
variable "name" {
  description = "Name prefix; see <docs>."
  type        = string
}

variable "retention" {
  description = <<-EOT
    Days to keep logs:
    one of 1 | 3.
  EOT
  type        = number
  default     = 365
}

variable "object_lock" {
  description = "Lock."
  type = object({
    mode = string
    days = optional(number, 1)
  })
  default = null
}
"""
OUTPUTS = 'output "arn" {\n  description = "The ARN."\n  value       = "x"\n}\n'


@pytest.fixture
def module(tmp_path: Path) -> Path:
    (tmp_path / "variables.tf").write_text(VARIABLES)
    (tmp_path / "outputs.tf").write_text(OUTPUTS)
    (tmp_path / "README.md").write_text(f"# m\n\nUsage.\n\n{docs.BEGIN}\nold\n{docs.END}\n")
    return tmp_path


def test_table_lists_required_inputs_first_with_types_and_defaults(module: Path) -> None:
    table = docs.render_table(module)
    rows = [line for line in table.splitlines() if line.startswith("| ") and "Name |" not in line]
    assert rows[0] == "| name | Name prefix; see &lt;docs&gt;. | `string` | n/a | yes |"
    assert (
        rows[1]
        == "| object_lock | Lock. | `object({mode = string, days = optional(number, 1)})` | `null` | no |"
    )
    assert rows[2] == "| retention | Days to keep logs:<br>one of 1 \\| 3. | `number` | `365` | no |"
    assert rows[3] == "| arn | The ARN. |"


def test_stale_table_is_detected_and_rewritten_once(module: Path) -> None:
    assert docs.is_stale(module)
    assert docs.write(module) is True
    assert not docs.is_stale(module)
    assert docs.write(module) is False
    text = (module / "README.md").read_text()
    assert text.startswith("# m\n\nUsage.\n\n") and "old" not in text


def test_readme_without_markers_is_a_clear_error(module: Path) -> None:
    (module / "README.md").write_text("# m\n")
    with pytest.raises(LaunchpadError, match="has no <!-- BEGIN_TF_DOCS -->"):
        docs.is_stale(module)
