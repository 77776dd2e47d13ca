"""OptiSigns: put content on digital signage screens from Airflow."""
