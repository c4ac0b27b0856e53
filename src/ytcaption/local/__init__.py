"""The embedded local runtime: AWS emulator, Lambda executor, bootstrap, processes."""
