"""Shared set-up of the Python tests: they run from tools/test in the suite's venv."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
