"""OptiSigns: put content on digital signage screens from Airflow."""

#: The connection id every OptiSigns hook, operator, sensor and trigger uses by default. Defined here,
#: in a module with no imports, so that DAG files get it without loading the hook.
DEFAULT_CONN_ID = "optisigns_default"

#: A screen whose last heartbeat is older than this many seconds is offline. Players report every
#: minute or so; the threshold the web app uses is not published. [INFERRED]
DEFAULT_HEARTBEAT_MAX_AGE_SECONDS = 300.0
