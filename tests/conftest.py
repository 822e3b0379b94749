pytest_plugins = ["launchpad.testing"]
