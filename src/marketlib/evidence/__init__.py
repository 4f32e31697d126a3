"""Independent sources beside the headline ones: what each can say, and whether they agree.

``adoption`` (CNCF survey waves: the share of respondents whose organization runs Kubernetes
in production, by region and wave), ``demand`` (Indeed's exact series: AI share of postings,
the Software Development postings index, posted-wage growth), ``agreement`` (two sources'
ratios compared; one verdict per source and a combined line per claim).
"""
