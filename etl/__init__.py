"""ETL: member submissions (xlsx / CSV) -> normalised, validated -> the Parquet warehouse. Never imports Streamlit."""
