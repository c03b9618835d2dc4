"""Catalog: categories and commission rates, shops, products, SKUs, stock, images."""
