"""Dataset generators and helpers for the benchmark commands (``manage.py bench_scoring``)."""
