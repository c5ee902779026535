"""Reports on runs against other releases: release strips, the Versions page, the drift report."""
