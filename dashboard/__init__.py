"""Streamlit dashboard: thin pages over the query layer."""
