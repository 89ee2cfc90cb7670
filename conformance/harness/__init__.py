"""The protocol-agnostic harness core: candidates, terminal driver, wire peers, transcripts, results."""
