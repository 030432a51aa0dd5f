"""helmdeck.bundle"""
