"""helmdeck.cli"""
