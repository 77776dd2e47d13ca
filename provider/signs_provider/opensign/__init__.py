"""OpenSign: send documents for signature and collect them from Airflow."""
