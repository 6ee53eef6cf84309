"""Helpers of the serverless_dbt DAG (../serverless_dbt.py), loaded from the dags folder.

run_input and execution need only the standard library; operators needs Airflow and the
Amazon provider.
"""
