"""helmdeck.sandbox"""
