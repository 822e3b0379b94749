"""launchpad's checkov checks: checkov loads Python checks only from a folder with this file."""
