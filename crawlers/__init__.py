"""InternScout's Scrapy project: board spiders, normalisation and the store pipeline.

Run crawls through `crawlers.run` (a subprocess entry point), not in-process.
"""
