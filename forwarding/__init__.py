"""Email (and later SMS) delivery: voicemail emails and the jobs that send them."""
