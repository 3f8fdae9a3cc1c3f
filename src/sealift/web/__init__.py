"""The web console (`sealift console`): an interface, like cli/, over the same library
functions (deploy/, bundle/, market/). Pages are rendered on the server (Jinja2 templates
and a small script shipped in this package: nothing is loaded from elsewhere); long
operations run as jobs of the server (`jobs.py`); every request passes `guard.py`.
"""
