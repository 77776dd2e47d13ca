"""OpenSign: send documents for signature and collect them from Airflow."""

#: The connection id every OpenSign hook, operator, sensor and trigger uses by default. Defined here,
#: in a module with no imports, so that DAG files get it without loading the hook.
DEFAULT_CONN_ID = "opensign_default"
