pytest_plugins = ["launchpad.testing", "launchpad.profiling"]
