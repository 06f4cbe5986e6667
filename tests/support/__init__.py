"""The test suite's shared helpers, imported as `support.<module>`.

pyproject's `pythonpath = ["tests"]` puts the tests folder on the import path, so this
package imports the same way from every test folder, from a "spawn" child process and
from scripts/screenshots.py.
"""
