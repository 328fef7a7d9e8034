"""The thumbnail pipeline, one module per step: plan (which frames, decoded how), decode, measure, pick, write."""
