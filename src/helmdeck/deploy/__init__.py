"""helmdeck.deploy"""
