"""helmdeck.extensions"""
