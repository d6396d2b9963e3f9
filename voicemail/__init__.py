"""Recording callbacks, download, transcoding and storage of voicemails."""
