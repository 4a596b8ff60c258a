"""``glassnet playground``: a small network learning a 2-D data set in the browser, every weight clickable
for the worked solution of the last step (``explain.batch_step``). ``session`` holds a tab's data, network
and training (plain Python); ``server`` serves the page and its JSON API (aiohttp, the ``playground``
extra); ``static/`` holds the page, its script and its style.
"""
