"""The successors' CRD schemas (openAPIV3Schema per served version), package data read by
policy/crd_schema.py; scripts/vendor_crds.py writes them from the upstream commits each names."""
