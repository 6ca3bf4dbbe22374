"""Frame-level QC algorithms, one module per check."""
