"""Shipping network, delivery promises and the merchants' fulfilment planner.

- ``network``: cities, warehouses, carriers and road lanes from ``data/logistics`` as a graph;
  transit time and cost for a warehouse, carrier and destination.
- ``promise``: dispatch date (16:00 cut-off), ETA as a date, the shipping options a shopper
  can choose for a city and basket value.
- ``planner``: a day's orders -> warehouse and carrier per order at least cost (MILP).
"""
