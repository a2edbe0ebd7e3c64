"""The expert review loop: review files, the review state, the queue, the contact sheet and Label Studio."""
