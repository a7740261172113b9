"""Medical question answering: trusted answers to consumer-health questions, with their sources."""
