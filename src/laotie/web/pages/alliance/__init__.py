"""The alliance's pages (好物联盟), one module per who uses them."""
