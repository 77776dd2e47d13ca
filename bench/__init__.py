"""Benchmarks of airflow-provider-signs against the local emulator (``python -m bench``)."""
