class SheetSyncError(Exception):
    """What stops a run: one plain sentence for the owner."""
